package io.pgtrickle.cdc.bench;

import io.pgtrickle.cdc.it.Consumers;
import io.pgtrickle.cdc.it.ScriptedStandby;
import io.pgtrickle.cdc.it.SourceDb;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
 * {@code make bench-cdc}. For each change-log backend (PostgreSQL tables, NATS JetStream):
 *
 * <ol>
 *   <li>lag: {@value #RATE} events/s for {@value #LAG_SECONDS} s with the consumer live, end-to-end
 *       lag (commit to acknowledged by the change log) p50/p95/p99 per transaction;
 *   <li>throughput: drain a backlog of {@value #BACKLOG} events (transactions of {@value #TX_ROWS}
 *       rows) committed while the consumer was stopped, events/s from its start to the slot
 *       confirming the backlog's end.
 * </ol>
 *
 * And pg_recvlogical draining its own slot over the same backlog to /dev/null: the practical limit
 * of the server's decoding. During the lag phase, and for {@value #IDLE_SECONDS} s afterwards while
 * only an unpublished table is written, {@link ConfirmSampler} measures how long the slot's {@code
 * confirmed_flush_lsn} takes to pass {@code pg_current_wal_insert_lsn()} taken at a moment (what
 * the worker waits for). The last line is machine-readable.
 */
public final class CdcBench {

  static final int BACKLOG = 100_000;
  static final int TX_ROWS = 10;
  static final int RATE = 5_000;
  static final int LAG_SECONDS = Integer.getInteger("lagSeconds", 15);
  static final int WARMUP_SECONDS = 5;
  static final int IDLE_SECONDS = 5;

  /** Source tables the writes spread over (make bench-cdc CDC_BENCH_TABLES=4); 1 by default. */
  static final int TABLES = Integer.getInteger("bench.tables", 1);

  /**
   * Whether the source replicates synchronously (make bench-cdc CDC_BENCH_SYNC=true): to a scripted
   * standby that confirms what it receives at once, so the writers' commits and the consumer's
   * synchronous-standby gate both wait for it.
   */
  static final boolean SYNCHRONOUS = Boolean.getBoolean("bench.synchronous");

  private CdcBench() {}

  public static void main(String[] args) throws Exception {
    String which = args.length > 0 ? args[0] : "all";
    List<String> backends =
        which.equals("all") ? List.of("postgres", "nats") : List.of(which.split(","));
    Map<String, double[]> results = new LinkedHashMap<>();
    try (SourceDb db = SourceDb.start();
        AutoCloseable standby = SYNCHRONOUS ? synchronousStandby(db) : () -> {}) {
      for (int t = 1; t <= TABLES; t++) {
        db.sql("CREATE TABLE bench" + t + " (id int8 PRIMARY KEY, v int4, pad text)");
      }
      db.sql(
          "CREATE SEQUENCE bench_ids",
          "CREATE TABLE bench_unpublished (id int8)",
          "CREATE PUBLICATION pgtrickle_cdc FOR TABLE " + tableList());
      Double recvEps = null;
      for (String b : backends) {
        results.put(b, runBackend(db, b));
        if (recvEps == null) {
          // The same backlog, drained by pg_recvlogical from a slot of its own.
          db.sql("SELECT pg_create_logical_replication_slot('recv', 'pgoutput')");
          writeBacklog(db);
          recvEps = recvlogical(db, db.queryOne("SELECT pg_current_wal_lsn()::text"));
          System.out.printf(
              Locale.ROOT,
              "pg_recvlogical: drained %d events at %.0f events/s%n",
              BACKLOG,
              recvEps);
        }
      }
      StringBuilder last = new StringBuilder();
      double minEps = results.values().stream().mapToDouble(r -> r[0]).min().orElse(0);
      double maxP95 = results.values().stream().mapToDouble(r -> r[2]).max().orElse(0);
      double confirmP95 = results.values().stream().mapToDouble(r -> r[5]).max().orElse(0);
      double idleConfirmP95 = results.values().stream().mapToDouble(r -> r[7]).max().orElse(0);
      last.append(
          String.format(
              Locale.ROOT,
              "cdc_eps=%.0f recvlogical_eps=%.0f ratio=%.2f lag_p95_ms=%.1f synchronous=%s"
                  + " confirm_p95_ms=%.1f idle_confirm_p95_ms=%.1f",
              minEps,
              recvEps,
              minEps / recvEps,
              maxP95,
              SYNCHRONOUS,
              confirmP95,
              idleConfirmP95));
      results.forEach(
          (b, r) ->
              last.append(
                  String.format(
                      Locale.ROOT,
                      " %s_eps=%.0f %s_lag_p50_ms=%.1f %s_lag_p95_ms=%.1f %s_lag_p99_ms=%.1f"
                          + " %s_confirm_p50_ms=%.1f %s_confirm_p95_ms=%.1f"
                          + " %s_idle_confirm_p50_ms=%.1f %s_idle_confirm_p95_ms=%.1f",
                      b,
                      r[0],
                      b,
                      r[1],
                      b,
                      r[2],
                      b,
                      r[3],
                      b,
                      r[4],
                      b,
                      r[5],
                      b,
                      r[6],
                      b,
                      r[7])));
      System.out.println(last);
    }
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

  private static void writeBacklog(SourceDb db) {
    // Server-side loop with a COMMIT per transaction: the backlog's shape without client latency.
    db.sql(
        "DO $$ BEGIN FOR t IN 1.."
            + (BACKLOG / TX_ROWS)
            + " LOOP"
            + " EXECUTE format('INSERT INTO bench%s SELECT nextval(''bench_ids''), 0,"
            + " repeat(''x'', 100) FROM generate_series(1, "
            + TX_ROWS
            + ")', t % "
            + TABLES
            + " + 1);"
            + " COMMIT; END LOOP; END $$");
  }

  private static String tableList() {
    StringBuilder sb = new StringBuilder();
    for (int t = 1; t <= TABLES; t++) {
      sb.append(t == 1 ? "" : ",").append("bench").append(t);
    }
    return sb.toString();
  }

  private static double recvlogical(SourceDb db, String endLsn) throws Exception {
    PostgresServer s = db.server();
    List<String> command =
        List.of(
            s.bin().resolve("pg_recvlogical").toString(),
            "-d",
            "host=127.0.0.1 port=" + s.port() + " user=postgres dbname=postgres",
            "--slot=recv",
            "--start",
            "-P",
            "pgoutput",
            "-o",
            "proto_version=1",
            "-o",
            "publication_names=pgtrickle_cdc",
            "-f",
            "/dev/null",
            "--endpos=" + endLsn,
            "--no-loop");
    long t0 = System.nanoTime();
    ServerProcess.run(command, 300);
    return BACKLOG / ((System.nanoTime() - t0) / 1e9);
  }

  /**
   * The lag phase first, which also warms the JIT up as a long-running consumer is; then the
   * consumer stops, a backlog is committed, and a new consumer (same JVM) drains it.
   */
  private static double[] runBackend(SourceDb db, String backend) throws Exception {
    try (AutoCloseable server = backendServer(backend);
        Connection admin = db.connect()) {
      String uri = uriOf(backend, server);
      String slot = "cdc_" + backend;
      List<Long> lags = Collections.synchronizedList(new ArrayList<>());
      Map<String, String> env = Consumers.env(db, tableList(), slot, uri);
      env.put("PGTRICKLE_STATUS_INTERVAL_MS", "1000");
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
              "%s: %d events/s for %d s, lag p50 %.1f ms, p95 %.1f ms, p99 %.1f ms (%d"
                  + " transactions); confirmed_flush_lsn passed an insert position after p50"
                  + " %.1f ms, p95 %.1f ms (%d samples)%n",
              backend,
              RATE,
              LAG_SECONDS,
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
        writeBacklog(db);
        String end = db.queryOne("SELECT pg_current_wal_lsn()::text");
        long t0 = System.nanoTime();
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("drain", Duration.ofMinutes(5), () -> confirmedPast(admin, slot, end));
        }
        double eps = BACKLOG / ((System.nanoTime() - t0) / 1e9);
        System.out.printf(
            Locale.ROOT, "%s: drained %d events at %.0f events/s%n", backend, BACKLOG, eps);
        return new double[] {
          eps, p[0], p[1], p[2], confirm[0], confirm[1], idleConfirm[0], idleConfirm[1]
        };
      }
    }
  }

  private static boolean confirmedPast(Connection admin, String slot, String end) {
    try (PreparedStatement ps =
        admin.prepareStatement(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        String c = rs.next() ? rs.getString(1) : null;
        return c != null && !Lsn.parse(end).isAfter(Lsn.parse(c));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
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
   * Two writers at RATE/2 events/s each; returns lag p50, p95, p99 (ms), the sample count, and the
   * confirmation's p50, p95 (ms) and sample count (after the warm-up).
   */
  private static double[] fixedRate(SourceDb db, List<Long> lags, String slot) throws Exception {
    long txPerSecondPerWriter = RATE / TX_ROWS / 2;
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / txPerSecondPerWriter;
    long start = System.nanoTime();
    long warmEnd = start + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
    long stop = warmEnd + TimeUnit.SECONDS.toNanos(LAG_SECONDS);
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      Thread t = new Thread(() -> write(db, start, intervalNanos, stop));
      t.start();
      writers.add(t);
    }
    LockSupport.parkNanos(warmEnd - System.nanoTime());
    lags.clear();
    ConfirmSampler sampler = new ConfirmSampler(db, slot);
    for (Thread t : writers) {
      t.join();
    }
    double[] confirm = sampler.finish();
    ServerProcess.sleep(1000); // the last transactions' acknowledgments
    List<Long> sorted;
    synchronized (lags) {
      sorted = new ArrayList<>(lags);
    }
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
      default -> throw new IllegalArgumentException("backend " + backend + " (postgres or nats)");
    };
  }

  private static String uriOf(String backend, AutoCloseable server) {
    return backend.equals("postgres")
        ? ((PostgresServer) server).uri("")
        : ((NatsServer) server).uri("stream=cdc-bench");
  }
}
