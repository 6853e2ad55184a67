package io.pgtrickle.cdc.bench;

import io.pgtrickle.cdc.it.Consumers;
import io.pgtrickle.cdc.it.SourceDb;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.changelog.support.Spread;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The throughput half of {@code make bench-cdc} for one backend: {@value #DEFAULT_ROUNDS} rounds
 * (setting {@code bench.rounds}), each committing a backlog of {@code bench.events} events (default
 * {@value #DEFAULT_EVENTS}, transactions of {@value CdcBench#TX_ROWS} rows) while nothing reads the
 * slots, then draining that same backlog twice: a fresh CDC consumer from its own slot into the
 * change log, and pg_recvlogical from a slot of its own to /dev/null. The order alternates (odd
 * rounds: ours first), so background load on a shared machine hits both sides alike and the ratio
 * of the medians holds still where the absolute figures do not; before each drain the machine
 * settles ({@link #settle}).
 */
final class DrainRounds {

  static final int DEFAULT_EVENTS = 1_000_000;

  /** Even, so that each side drains first as often (five until 2026-12-02: ours first 3 times). */
  static final int DEFAULT_ROUNDS = 6;

  static final int EVENTS = Integer.getInteger("bench.events", DEFAULT_EVENTS);
  static final int ROUNDS = Integer.getInteger("bench.rounds", DEFAULT_ROUNDS);

  /** Events/s of the consumer and of pg_recvlogical, and each round's ratio of the two. */
  record Result(Spread ours, Spread recv, Spread pairRatio) {
    double ratio() {
      return ours.median() / recv.median();
    }
  }

  private DrainRounds() {}

  static Result run(
      SourceDb db, String backend, String slot, Map<String, String> env, ChangeLogBackend log)
      throws Exception {
    String recvSlot = "recv_" + backend;
    db.sql("SELECT pg_create_logical_replication_slot('" + recvSlot + "', 'pgoutput')");
    Result result = new Result(new Spread(), new Spread(), new Spread());
    try (Connection admin = db.connect()) {
      for (int round = 1; round <= ROUNDS; round++) {
        String end = writeBacklog(db, EVENTS);
        String load = loadAverage();
        double ours;
        double recv;
        if (round % 2 == 1) {
          settle(db);
          ours = drainOurs(admin, slot, env, log, end);
          settle(db);
          recv = recvlogical(db, recvSlot, end);
        } else {
          settle(db);
          recv = recvlogical(db, recvSlot, end);
          settle(db);
          ours = drainOurs(admin, slot, env, log, end);
        }
        result.ours.add(ours);
        result.recv.add(recv);
        result.pairRatio.add(ours / recv);
        System.out.printf(
            Locale.ROOT,
            "%s round %d/%d (%s first, load %s): %d events, cdc %.0f events/s,"
                + " pg_recvlogical %.0f events/s, ratio %.2f%n",
            backend,
            round,
            ROUNDS,
            round % 2 == 1 ? "cdc" : "pg_recvlogical",
            load,
            EVENTS,
            ours,
            recv,
            ours / recv);
      }
    } finally {
      db.sql("SELECT pg_drop_replication_slot('" + recvSlot + "')");
    }
    System.out.printf(
        Locale.ROOT,
        "%s: drain events/s median (min-max): cdc %s, pg_recvlogical %s; ratio of medians %.2f,"
            + " per-round ratios %s%n",
        backend,
        result.ours.describe("%.0f"),
        result.recv.describe("%.0f"),
        result.ratio(),
        result.pairRatio.describe("%.2f"));
    return result;
  }

  /**
   * Before each drain, outside the timing: {@code CHECKPOINT} on the source and {@code sync(1)}, so
   * that the writeback of the backlog just committed (about a gigabyte of WAL and table), and of
   * the change log the consumer's drain wrote, does not fall into whichever drain runs next.
   */
  private static void settle(SourceDb db) throws Exception {
    db.sql("CHECKPOINT");
    Process p = new ProcessBuilder("sync").inheritIO().start();
    if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("sync failed or took over 5 minutes");
    }
  }

  /** The 1-minute load average of the machine, as {@code uptime} prints it first. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
  }

  /**
   * Commits {@code events} rows in transactions of {@value CdcBench#TX_ROWS} with a server-side
   * loop (the backlog's shape without client latency) and returns the WAL position after the last
   * one. The loop commits asynchronously (the backlog is not what is measured; 100,000 fsyncs would
   * take longer than the drains); one synchronous commit at the end flushes it all before the
   * drains start.
   */
  static String writeBacklog(SourceDb db, int events) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("SET synchronous_commit = off");
      s.execute(
          "DO $$ BEGIN FOR t IN 1.."
              + (events / CdcBench.TX_ROWS)
              + " LOOP"
              + " EXECUTE format('INSERT INTO bench%s SELECT nextval(''bench_ids''), 0,"
              + " repeat(''x'', 100) FROM generate_series(1, "
              + CdcBench.TX_ROWS
              + ")', t % "
              + CdcBench.TABLES
              + " + 1);"
              + " COMMIT; END LOOP; END $$");
      String end;
      try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
        rs.next();
        end = rs.getString(1);
      }
      s.execute("SET synchronous_commit = on");
      s.execute("INSERT INTO bench_unpublished VALUES (0)");
      return end;
    }
  }

  /** A fresh consumer from start until the slot confirms {@code end}: events per second. */
  private static double drainOurs(
      Connection admin, String slot, Map<String, String> env, ChangeLogBackend log, String end) {
    long t0 = System.nanoTime();
    try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
      Consumers.await("drain", Duration.ofMinutes(10), () -> confirmedPast(admin, slot, end));
    }
    // The consumer's stop is not part of the drain: the time ends with the slot's confirmation.
    return EVENTS / ((System.nanoTime() - t0) / 1e9);
  }

  static boolean confirmedPast(Connection admin, String slot, String end) {
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

  /** pg_recvlogical draining {@code slot} to /dev/null up to {@code endLsn}: events per second. */
  private static double recvlogical(SourceDb db, String slot, String endLsn) {
    PostgresServer s = db.server();
    List<String> command =
        List.of(
            s.bin().resolve("pg_recvlogical").toString(),
            "-d",
            "host=127.0.0.1 port=" + s.port() + " user=postgres dbname=postgres",
            "--slot=" + slot,
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
    ServerProcess.run(command, 600);
    return EVENTS / ((System.nanoTime() - t0) / 1e9);
  }
}
