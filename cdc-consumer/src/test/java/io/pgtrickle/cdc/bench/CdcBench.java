package io.pgtrickle.cdc.bench;

import io.pgtrickle.cdc.it.Consumers;
import io.pgtrickle.cdc.it.ScriptedStandby;
import io.pgtrickle.cdc.it.SourceDb;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.KafkaServer;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.changelog.support.Spread;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code make bench-cdc}. For each change-log backend (PostgreSQL tables, NATS JetStream, Kafka):
 *
 * <ol>
 *   <li>lag: {@value #RATE} events/s for {@value #LAG_SECONDS} s with the consumer live, after a
 *       warm-up at the same rate ({@link #WARMUP_SECONDS}), end-to-end lag (commit to acknowledged
 *       by the change log) p50/p95/p99 per transaction;
 *   <li>throughput: {@link DrainRounds}, backlogs of a million events drained by a fresh consumer
 *       and by pg_recvlogical (the practical limit of the server's decoding), interleaved, five
 *       rounds: medians with min and max.
 * </ol>
 *
 * Right after the lag phase, at the same rate for as long, and for {@value #IDLE_SECONDS} s
 * afterwards while only an unpublished table is written, {@link ConfirmSampler} measures how long
 * the slot's {@code confirmed_flush_lsn} takes to pass {@code pg_current_wal_insert_lsn()} taken at
 * a moment (what the worker waits for). The last line is machine-readable, with medians.
 */
public final class CdcBench {

  static final int TX_ROWS = 10;
  static final int RATE = 5_000;
  static final int LAG_SECONDS = Integer.getInteger("lagSeconds", 15);

  /**
   * Seconds at {@value #RATE} events/s before the lag is measured (make bench-cdc
   * CDC_BENCH_WARMUP=..): the steady state of a long-running consumer and change log. The consumer
   * and the Kafka broker are JVMs started by the bench; on two cores their JIT compilers still took
   * about half a core 45 s after the start, and a Kafka produce round trip (20 records, acks=all)
   * measured alone went from p50 4.0 / p95 12.6 ms in the first 5 s to 0.7 / 1.3 ms after 20-30 s.
   */
  static final int WARMUP_SECONDS = Integer.getInteger("bench.warmupSeconds", 60);

  static final int IDLE_SECONDS = 5;

  /** Source tables the writes spread over (make bench-cdc CDC_BENCH_TABLES=4); 1 by default. */
  static final int TABLES = Integer.getInteger("bench.tables", 1);

  /**
   * Whether the source replicates synchronously (make bench-cdc CDC_BENCH_SYNC=true): to a scripted
   * standby that confirms what it receives at once, so the writers' commits and the consumer's
   * synchronous-standby gate both wait for it.
   */
  static final boolean SYNCHRONOUS = Boolean.getBoolean("bench.synchronous");

  /**
   * Whether the source has an asynchronous physical standby (make bench-cdc
   * CDC_BENCH_ASYNC_STANDBY=true): a real one, made from a copy of the data directory, whose flush
   * the consumer waits for up to CDC_BENCH_ASYNC_HOLD_MS (the consumer's default, 5000; 0 turns the
   * wait off, for the comparison in the same setup).
   */
  static final boolean ASYNC_STANDBY = Boolean.getBoolean("bench.asyncStandby");

  static final int ASYNC_HOLD_MS = Integer.getInteger("bench.asyncHoldMs", 5000);

  /** One backend's figures: lag and confirmation percentiles (ms), and the drain rounds. */
  record Outcome(double[] lag, double[] confirm, double[] idleConfirm, DrainRounds.Result drain) {}

  private CdcBench() {}

  public static void main(String[] args) throws Exception {
    String which = args.length > 0 ? args[0] : "all";
    List<String> backends =
        which.equals("all") ? List.of("postgres", "nats", "kafka") : List.of(which.split(","));
    System.out.printf(
        Locale.ROOT,
        "cdc bench %s: backends %s, %d rounds of %d events, %d table(s), %d cores, load %s%n",
        java.time.Instant.now(),
        backends,
        DrainRounds.ROUNDS,
        DrainRounds.EVENTS,
        TABLES,
        Runtime.getRuntime().availableProcessors(),
        DrainRounds.loadAverage());
    Map<String, Outcome> results = new LinkedHashMap<>();
    java.util.Set<String> before = ServerProcess.serverDirs();
    try (SourceDb db = SourceDb.start();
        AutoCloseable standby =
            SYNCHRONOUS ? synchronousStandby(db) : ASYNC_STANDBY ? asyncStandby(db) : () -> {}) {
      for (int t = 1; t <= TABLES; t++) {
        db.sql("CREATE TABLE bench" + t + " (id int8 PRIMARY KEY, v int4, pad text)");
      }
      db.sql(
          "CREATE SEQUENCE bench_ids",
          "CREATE TABLE bench_unpublished (id int8)",
          "CREATE PUBLICATION pgtrickle_cdc FOR TABLE " + tableList());
      for (String b : backends) {
        results.put(b, runBackend(db, b));
      }
    } finally {
      // Five backlogs of a million rows per backend, and the change log's copies: gigabytes.
      ServerProcess.deleteServerDirsSince(before);
    }
    System.out.println(summary(results));
  }

  /**
   * The machine-readable line: {@code cdc_eps} is the slowest backend's median, {@code
   * recvlogical_eps} the median of every pg_recvlogical drain, {@code ratio} the lowest backend
   * ratio (its median over the median of the pg_recvlogical drains interleaved with it), lag and
   * confirmation the worst backend's.
   */
  private static String summary(Map<String, Outcome> results) {
    Spread allRecv = new Spread();
    results.values().forEach(o -> o.drain.recv().values().forEach(allRecv::add));
    double minEps =
        results.values().stream().mapToDouble(o -> o.drain.ours().median()).min().orElse(0);
    double minRatio = results.values().stream().mapToDouble(o -> o.drain.ratio()).min().orElse(0);
    double maxP95 = results.values().stream().mapToDouble(o -> o.lag[1]).max().orElse(0);
    double confirmP95 = results.values().stream().mapToDouble(o -> o.confirm[1]).max().orElse(0);
    double idleConfirmP95 =
        results.values().stream().mapToDouble(o -> o.idleConfirm[1]).max().orElse(0);
    StringBuilder last = new StringBuilder();
    last.append(
        String.format(
            Locale.ROOT,
            "cdc_eps=%.0f recvlogical_eps=%.0f ratio=%.2f lag_p95_ms=%.1f synchronous=%s"
                + " async_standby_hold_ms=%s"
                + " confirm_p95_ms=%.1f idle_confirm_p95_ms=%.1f events=%d rounds=%d",
            minEps,
            allRecv.median(),
            minRatio,
            maxP95,
            SYNCHRONOUS,
            ASYNC_STANDBY ? String.valueOf(ASYNC_HOLD_MS) : "none",
            confirmP95,
            idleConfirmP95,
            DrainRounds.EVENTS,
            DrainRounds.ROUNDS));
    results.forEach(
        (b, o) ->
            last.append(
                String.format(
                    Locale.ROOT,
                    " %1$s_eps=%2$.0f %1$s_eps_min=%3$.0f %1$s_eps_max=%4$.0f"
                        + " %1$s_recvlogical_eps=%5$.0f %1$s_ratio=%6$.2f"
                        + " %1$s_ratio_min=%7$.2f %1$s_ratio_max=%8$.2f"
                        + " %1$s_lag_p50_ms=%9$.1f %1$s_lag_p95_ms=%10$.1f %1$s_lag_p99_ms=%11$.1f"
                        + " %1$s_confirm_p50_ms=%12$.1f %1$s_confirm_p95_ms=%13$.1f"
                        + " %1$s_idle_confirm_p50_ms=%14$.1f %1$s_idle_confirm_p95_ms=%15$.1f",
                    b,
                    o.drain.ours().median(),
                    o.drain.ours().min(),
                    o.drain.ours().max(),
                    o.drain.recv().median(),
                    o.drain.ratio(),
                    o.drain.pairRatio().min(),
                    o.drain.pairRatio().max(),
                    o.lag[0],
                    o.lag[1],
                    o.lag[2],
                    o.confirm[0],
                    o.confirm[1],
                    o.idleConfirm[0],
                    o.idleConfirm[1])));
    return last.toString();
  }

  private static AutoCloseable asyncStandby(SourceDb db) throws Exception {
    AutoCloseable standby = db.server().startStandbyCopy("bench_standby", "");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!"streaming"
        .equals(
            db.queryOne(
                "SELECT state FROM pg_stat_replication WHERE application_name = 'standby'"))) {
      if (System.nanoTime() > deadline) {
        standby.close();
        throw new IllegalStateException("the standby did not start streaming");
      }
      Thread.sleep(20);
    }
    return standby;
  }

  private static ScriptedStandby synchronousStandby(SourceDb db) throws Exception {
    ScriptedStandby standby = ScriptedStandby.start(db, "bench_standby");
    db.sql(
        "ALTER SYSTEM SET synchronous_standby_names = 'bench_standby'", "SELECT pg_reload_conf()");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!"sync"
        .equals(
            db.queryOne(
                "SELECT sync_state FROM pg_stat_replication"
                    + " WHERE application_name = 'bench_standby'"))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the scripted standby did not become synchronous");
      }
      Thread.sleep(20);
    }
    return standby;
  }

  private static String tableList() {
    StringBuilder sb = new StringBuilder();
    for (int t = 1; t <= TABLES; t++) {
      sb.append(t == 1 ? "" : ",").append("bench").append(t);
    }
    return sb.toString();
  }

  /**
   * The lag phase first, which also warms the JIT up as a long-running consumer is; then the
   * consumer stops and {@link DrainRounds} measures throughput with fresh consumers (same JVM).
   */
  private static Outcome runBackend(SourceDb db, String backend) throws Exception {
    try (AutoCloseable server = backendServer(backend)) {
      String uri = uriOf(backend, server);
      String slot = "cdc_" + backend;
      List<Long> lags = Collections.synchronizedList(new ArrayList<>());
      Map<String, String> env = Consumers.env(db, tableList(), slot, uri);
      env.put("PGTRICKLE_STATUS_INTERVAL_MS", "1000");
      env.put("PGTRICKLE_ASYNC_STANDBY_HOLD_MS", String.valueOf(ASYNC_HOLD_MS));
      // Every backend starts where the first one does: from empty source tables (the previous
      // backend's backlogs left five million rows in them; no slot exists now to decode the
      // TRUNCATE: the previous backend's were dropped, this one's is created by its consumer) and
      // from a fresh checkpoint (the backlogs' WAL would be written out by a checkpoint due in this
      // backend's lag window). The lag window's line says which autovacuums, autoanalyzes and
      // checkpoints of the source overlapped it.
      db.sql("TRUNCATE " + tableList(), "CHECKPOINT");
      try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        double[] p;
        double[] confirm;
        double[] idleConfirm;
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, lags::add)) {
          Consumers.await("streaming", Duration.ofSeconds(60), consumer.state::streaming);
          p = fixedRate(db, lags, slot);
          confirm = java.util.Arrays.copyOfRange(p, 4, 7);
          System.out.printf(
              Locale.ROOT,
              "%s: %d events/s for %d s after %d s of warm-up, lag p50 %.1f ms, p95 %.1f ms, p99"
                  + " %.1f ms (%d transactions); then for as long, confirmed_flush_lsn passed an"
                  + " insert position after p50 %.1f ms, p95 %.1f ms (%d samples)%n",
              backend,
              RATE,
              LAG_SECONDS,
              WARMUP_SECONDS,
              p[0],
              p[1],
              p[2],
              (long) p[3],
              confirm[0],
              confirm[1],
              (long) confirm[2]);
          idleConfirm = idle(db, slot);
          System.out.printf(
              Locale.ROOT,
              "%s: idle (only an unpublished table written), confirmed_flush_lsn passed an insert"
                  + " position after p50 %.1f ms, p95 %.1f ms (%d samples)%n",
              backend,
              idleConfirm[0],
              idleConfirm[1],
              (long) idleConfirm[2]);
        }
        DrainRounds.Result drain = DrainRounds.run(db, backend, slot, env, log);
        // The slot would hold the WAL of the next backend's backlogs.
        Consumers.await(
            "slot " + slot + " released",
            Duration.ofSeconds(30),
            () ->
                "false"
                    .equals(
                        db.queryOne(
                            "SELECT active::text FROM pg_replication_slots WHERE slot_name = '"
                                + slot
                                + "'")));
        db.sql("SELECT pg_drop_replication_slot('" + slot + "')");
        return new Outcome(p, confirm, idleConfirm, drain);
      }
    }
  }

  /**
   * {@value #IDLE_SECONDS} s of writes to an unpublished table only (one insert every 10 ms) while
   * the confirmation is sampled: the slot must follow without a change of its own to publish.
   */
  private static double[] idle(SourceDb db, String slot) throws Exception {
    long stop = System.nanoTime() + TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
    try (Connection c = db.connect();
        PreparedStatement insert = c.prepareStatement("INSERT INTO bench_unpublished VALUES (1)")) {
      ConfirmSampler sampler = new ConfirmSampler(db, slot);
      while (System.nanoTime() < stop) {
        insert.executeUpdate();
        Thread.sleep(10);
      }
      return sampler.finish();
    }
  }

  /**
   * Two writers at RATE/2 events/s each: the warm-up, then {@value #LAG_SECONDS} s in which the lag
   * is recorded, then as long again in which the {@link ConfirmSampler} polls the slot (its queries
   * to the source, up to one a millisecond, stay out of the lag measured). Returns lag p50, p95,
   * p99 (ms), the sample count, and the confirmation's p50, p95 (ms) and sample count.
   */
  private static double[] fixedRate(SourceDb db, List<Long> lags, String slot) throws Exception {
    long txPerSecondPerWriter = RATE / TX_ROWS / 2;
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / txPerSecondPerWriter;
    long start = System.nanoTime();
    long warmEnd = start + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
    long lagEnd = warmEnd + TimeUnit.SECONDS.toNanos(LAG_SECONDS);
    long stop = lagEnd + TimeUnit.SECONDS.toNanos(LAG_SECONDS);
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      Thread t = new Thread(() -> write(db, start, intervalNanos, stop));
      t.start();
      writers.add(t);
    }
    LockSupport.parkNanos(warmEnd - System.nanoTime());
    String maintenanceBefore = maintenance(db);
    lags.clear();
    LockSupport.parkNanos(lagEnd - System.nanoTime());
    List<Long> sorted;
    synchronized (lags) {
      sorted = new ArrayList<>(lags);
    }
    System.out.printf(
        Locale.ROOT,
        "lag window: source maintenance (autovacuum workers, autovacuums, autoanalyzes,"
            + " checkpoints) at its start %s, at its end %s%n",
        maintenanceBefore,
        maintenance(db));
    ConfirmSampler sampler = new ConfirmSampler(db, slot);
    for (Thread t : writers) {
      t.join();
    }
    double[] confirm = sampler.finish();
    ServerProcess.sleep(1000); // the last transactions' acknowledgments
    Collections.sort(sorted);
    return new double[] {
      pct(sorted, 0.50),
      pct(sorted, 0.95),
      pct(sorted, 0.99),
      sorted.size(),
      confirm[0],
      confirm[1],
      confirm[2]
    };
  }

  /**
   * The source's background work a lag window may overlap, as one text: autovacuum workers running,
   * then the source tables' autovacuum and autoanalyze counts and the checkpoints so far ({@code
   * pg_stat_bgwriter} up to PostgreSQL 16, {@code pg_stat_checkpointer} from 17).
   */
  private static String maintenance(SourceDb db) {
    String checkpoints =
        Integer.parseInt(db.queryOne("SHOW server_version_num")) >= 170000
            ? "(SELECT num_timed + num_requested FROM pg_stat_checkpointer)"
            : "(SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)";
    return db.queryOne(
        "SELECT concat_ws('/',"
            + " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'),"
            + " (SELECT sum(autovacuum_count) FROM pg_stat_user_tables WHERE relname LIKE 'bench%'),"
            + " (SELECT sum(autoanalyze_count) FROM pg_stat_user_tables WHERE relname LIKE 'bench%'),"
            + " "
            + checkpoints
            + ")");
  }

  private static void write(SourceDb db, long start, long intervalNanos, long stop) {
    try (Connection c = db.connect()) {
      List<PreparedStatement> inserts = new ArrayList<>();
      for (int t = 1; t <= TABLES; t++) {
        inserts.add(
            c.prepareStatement(
                "INSERT INTO bench"
                    + t
                    + " SELECT nextval('bench_ids'), 1, repeat('y', 100) FROM generate_series(1, "
                    + TX_ROWS
                    + ")"));
      }
      // synchronous_commit stays on: with it off, a commit reaches the walsender only when the WAL
      // writer flushes (wal_writer_delay, 200 ms), which would dominate the lag measured.
      long next = start;
      for (long tx = 0; next < stop; tx++) {
        LockSupport.parkNanos(next - System.nanoTime());
        inserts.get((int) (tx % TABLES)).executeUpdate();
        next += intervalNanos;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static double pct(List<Long> sortedMicros, double p) {
    if (sortedMicros.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.min(sortedMicros.size() - 1, Math.ceil(p * sortedMicros.size()) - 1);
    return sortedMicros.get(Math.max(0, i)) / 1000.0;
  }

  private static AutoCloseable backendServer(String backend) {
    return switch (backend) {
      case "postgres" -> PostgresServer.start();
      case "nats" -> NatsServer.start();
      case "kafka" -> KafkaServer.start();
      default ->
          throw new IllegalArgumentException("backend " + backend + " (postgres, nats or kafka)");
    };
  }

  private static String uriOf(String backend, AutoCloseable server) {
    return switch (backend) {
      case "postgres" -> ((PostgresServer) server).uri("");
      case "nats" -> ((NatsServer) server).uri("stream=cdc-bench");
      default -> ((KafkaServer) server).uri("topic=cdc-bench");
    };
  }
}
