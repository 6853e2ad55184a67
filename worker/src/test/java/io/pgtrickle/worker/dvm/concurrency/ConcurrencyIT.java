package io.pgtrickle.worker.dvm.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.dvm.support.ChangeCapture;
import io.pgtrickle.worker.dvm.support.CommitStamper;
import io.pgtrickle.worker.dvm.support.PgServers;
import io.pgtrickle.worker.dvm.support.SnapshotRefresh;
import io.pgtrickle.worker.dvm.support.TestStreamTable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Writers at full speed on the sources while stream tables are refreshed (issue #13 §4): no writer
 * ever waits on a lock (writers touch disjoint rows, so any lock wait would be the refresh's: a
 * monitor samples pg_stat_activity, and writers run with a lock_timeout), no deadlock or other
 * error anywhere, every refresh leaves its stream table equal to the query in the refresh's
 * snapshot, and after the writers stop every stream table equals recomputation. Changes reach the
 * change buffers through a real logical decoding of the commits ({@link CommitStamper}); refreshes
 * follow the contract's snapshot procedure ({@link SnapshotRefresh}).
 */
class ConcurrencyIT {

  private static final int WRITERS = 3;
  private static final long RUN_MS = Long.getLong("dvm.concurrency.ms", 15_000);

  private static final List<String> QUERIES =
      List.of(
          "SELECT id, qty FROM conc.items WHERE qty > 3",
          "SELECT grp, count(*) AS n, sum(qty) AS total, max(qty) AS hi FROM conc.items GROUP BY grp",
          "SELECT i.id, g.label FROM conc.items i JOIN conc.groups g ON g.grp = i.grp",
          "SELECT i.id, g.label FROM conc.items i LEFT JOIN conc.groups g ON g.grp = i.grp",
          "SELECT k, count(*) AS n, sum(v) AS sv FROM conc.log GROUP BY k",
          "SELECT DISTINCT grp FROM conc.items",
          "SELECT k, v FROM conc.log WHERE v > 2");

  @Test
  void writersNeverWaitAndEveryRefreshEqualsRecomputation() throws Exception {
    int major = PgServers.defaultMajor();
    String url = PgServers.get(major).jdbcUrl();
    try (Connection admin = PgServers.connect(major);
        Connection stamperConn =
            DriverManager.getConnection(
                PgServers.get(major).jdbcUrl() + "&ApplicationName=conc-ingest");
        Connection refreshConn =
            DriverManager.getConnection(
                PgServers.get(major).jdbcUrl() + "&ApplicationName=conc-refresh");
        Connection reader = PgServers.connect(major)) {
      try (Statement s = admin.createStatement()) {
        s.execute("DROP SCHEMA IF EXISTS conc CASCADE");
        s.execute("CREATE SCHEMA conc");
        s.execute("CREATE TABLE conc.items (id int PRIMARY KEY, grp int, qty int)");
        s.execute("CREATE TABLE conc.groups (grp int PRIMARY KEY, label text)");
        s.execute("CREATE TABLE conc.log (k int, v int)");
      }
      ChangeCapture.install(admin);
      List<String> buffers = new ArrayList<>();
      for (String t : List.of("conc.items", "conc.groups", "conc.log")) {
        buffers.add("pgtrickle_changes.changes_" + ChangeCapture.track(admin, t));
      }
      try (CommitStamper stamper =
          new CommitStamper(
              stamperConn, "dvm_conc", buffers, List.of("conc.items", "conc.groups", "conc.log"))) {
        try (Statement s = admin.createStatement()) {
          s.execute("INSERT INTO conc.groups SELECT g, 'g' || g FROM generate_series(1, 8) g");
          s.execute(
              "INSERT INTO conc.items SELECT i, i % 10, i % 7 FROM generate_series(0, 2999) i"
                  + " WHERE i % 1000 < 150");
          s.execute("INSERT INTO conc.log SELECT i % 30, i % 5 FROM generate_series(1, 300) i");
        }
        catchUp(admin, stamper);
        List<SnapshotRefresh> refreshes = new ArrayList<>();
        List<TestStreamTable> tables = new ArrayList<>();
        for (int i = 0; i < QUERIES.size(); i++) {
          TestStreamTable t = TestStreamTable.create(admin, "conc", "st" + i, QUERIES.get(i));
          tables.add(t);
          refreshes.add(new SnapshotRefresh(t));
        }

        AtomicBoolean stopWriters = new AtomicBoolean();
        AtomicBoolean stopRefresher = new AtomicBoolean();
        AtomicBoolean stopStamper = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong writes = new AtomicLong();
        AtomicInteger lockWaits = new AtomicInteger();
        AtomicInteger refreshCount = new AtomicInteger();
        AtomicInteger visibilityRetries = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        Thread stamperThread =
            loop(
                "stamper",
                stopStamper,
                errors,
                () -> {
                  if (stamper.step() == 0) {
                    Thread.sleep(2);
                  }
                });
        for (int w = 0; w < WRITERS; w++) {
          threads.add(writer(url, w, stopWriters, errors, writes));
        }
        threads.add(monitor(url, stopWriters, errors, lockWaits));
        Thread refresher =
            loop(
                "refresher",
                stopRefresher,
                errors,
                () -> {
                  for (SnapshotRefresh r : refreshes) {
                    visibilityRetries.addAndGet(r.refresh(refreshConn, reader, stamper::ingested));
                    refreshCount.incrementAndGet();
                  }
                });
        stamperThread.start();
        refresher.start();
        threads.forEach(Thread::start);
        Thread.sleep(RUN_MS);
        stopWriters.set(true);
        for (Thread t : threads) {
          t.join(120_000);
        }
        stopRefresher.set(true);
        refresher.join(300_000);
        assertThat(refresher.isAlive()).as("refresher stopped").isFalse();
        assertThat(errors).isEmpty();
        waitForIngest(admin, stamper);
        for (SnapshotRefresh r : refreshes) {
          r.refresh(refreshConn, reader, stamper::ingested);
        }
        stopStamper.set(true);
        stamperThread.join(60_000);
        for (TestStreamTable t : tables) {
          t.assertMatchesQuery(admin);
        }
        System.out.printf(
            "writes %d, refreshes %d (visibility retries %d), writer lock waits seen %d%n",
            writes.get(), refreshCount.get(), visibilityRetries.get(), lockWaits.get());
        assertThat(lockWaits.get()).isZero();
        assertThat(writes.get()).isGreaterThan(500);
        assertThat(refreshCount.get())
            .as("refreshes during the writes")
            .isGreaterThanOrEqualTo(QUERIES.size() * 2);
      }
    }
  }

  /** Waits until the running stamper has stamped everything committed so far. */
  private static void waitForIngest(Connection c, CommitStamper stamper) throws Exception {
    String target;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      target = rs.getString(1);
    }
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (SnapshotRefresh.Lsn.compare(stamper.ingested(), target) < 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("ingest stuck at " + stamper.ingested() + " below " + target);
      }
      Thread.sleep(5);
    }
  }

  /** Steps the stamper (not running in a thread) until it stamped everything committed so far. */
  private static void catchUp(Connection c, CommitStamper stamper) throws Exception {
    String target;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      target = rs.getString(1);
    }
    while (SnapshotRefresh.Lsn.compare(stamper.ingested(), target) < 0) {
      stamper.step();
      Thread.sleep(5);
    }
  }

  interface Body {
    void run() throws Exception;
  }

  private static Thread loop(
      String name, AtomicBoolean stop, ConcurrentLinkedQueue<Throwable> errors, Body body) {
    return new Thread(
        () -> {
          try {
            while (!stop.get()) {
              body.run();
            }
          } catch (Throwable t) {
            errors.add(new AssertionError(name + " failed", t));
            stop.set(true);
          }
        },
        name);
  }

  /**
   * A writer on its own rows: items ids [w*1000, w*1000+1000), log keys [w*10, w*10+10); writer 0
   * also changes groups. Transactions of 1 to 12 statements; key changes and join-key changes.
   */
  private static Thread writer(
      String url,
      int w,
      AtomicBoolean stop,
      ConcurrentLinkedQueue<Throwable> errors,
      AtomicLong writes) {
    return loop(
        "writer-" + w,
        stop,
        errors,
        new Body() {
          final Random random = new Random(42 + w);
          Connection c;

          @Override
          public void run() throws Exception {
            if (c == null) {
              c = DriverManager.getConnection(url + "&ApplicationName=conc-writer");
              try (Statement s = c.createStatement()) {
                s.execute("SET lock_timeout = '200ms'");
              }
              c.setAutoCommit(false);
            }
            int statements = 1 + random.nextInt(12);
            try (Statement s = c.createStatement()) {
              for (int i = 0; i < statements; i++) {
                s.execute(statement(w, random));
              }
            }
            c.commit();
            writes.addAndGet(statements);
          }
        });
  }

  private static String statement(int w, Random r) {
    int base = w * 1000;
    int id = base + r.nextInt(200);
    return switch (r.nextInt(w == 0 ? 10 : 8)) {
      case 0 ->
          "INSERT INTO conc.items VALUES ("
              + id
              + ", "
              + r.nextInt(10)
              + ", "
              + r.nextInt(8)
              + ") ON CONFLICT DO NOTHING";
      case 1 -> "UPDATE conc.items SET qty = qty + 1 WHERE id = " + id;
      case 2 ->
          "UPDATE conc.items SET grp = "
              + (r.nextInt(11) == 10 ? "NULL" : r.nextInt(10))
              + " WHERE id = "
              + id;
      case 3 -> "DELETE FROM conc.items WHERE id = " + id;
      case 4 ->
          "UPDATE conc.items SET id = id + 300 WHERE id = "
              + id
              + " AND NOT EXISTS (SELECT 1 FROM"
              + " conc.items x WHERE x.id = "
              + (id + 300)
              + ")";
      case 5 ->
          "INSERT INTO conc.log VALUES (" + (w * 10 + r.nextInt(10)) + ", " + r.nextInt(5) + ")";
      case 6 ->
          "DELETE FROM conc.log WHERE ctid = (SELECT min(ctid) FROM conc.log WHERE k = "
              + (w * 10 + r.nextInt(10))
              + ")";
      case 7 -> "UPDATE conc.log SET v = v + 1 WHERE k = " + (w * 10 + r.nextInt(10));
      case 8 ->
          "UPDATE conc.groups SET label = 'g' || grp || '-"
              + r.nextInt(100)
              + "' WHERE grp = "
              + r.nextInt(10);
      default ->
          r.nextBoolean()
              ? "INSERT INTO conc.groups VALUES ("
                  + r.nextInt(10)
                  + ", 'new') ON CONFLICT DO NOTHING"
              : "DELETE FROM conc.groups WHERE grp = " + r.nextInt(10);
    };
  }

  /** Samples writer sessions waiting on a lock. */
  private static Thread monitor(
      String url,
      AtomicBoolean stop,
      ConcurrentLinkedQueue<Throwable> errors,
      AtomicInteger lockWaits) {
    return loop(
        "monitor",
        stop,
        errors,
        new Body() {
          Connection c;

          @Override
          public void run() throws Exception {
            if (c == null) {
              c = DriverManager.getConnection(url);
            }
            // A writer waiting on a lock held by a session that is neither a writer (writers touch
            // disjoint rows; they do share the change buffers the capture triggers write) nor the
            // ingest stand-in, which also writes the change buffers (relation extension).
            try (Statement s = c.createStatement();
                ResultSet rs =
                    s.executeQuery(
                        "SELECT w.wait_event, b.application_name, left(b.query, 80) FROM pg_stat_activity w"
                            + " CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid)"
                            + " JOIN pg_stat_activity b ON b.pid = blocker.pid"
                            + " WHERE w.application_name = 'conc-writer' AND w.wait_event_type = 'Lock'"
                            + " AND b.application_name NOT IN ('conc-writer', 'conc-ingest')")) {
              while (rs.next()) {
                lockWaits.incrementAndGet();
                System.out.printf(
                    "writer waited (%s) on %s: %s%n",
                    rs.getString(1), rs.getString(2), rs.getString(3));
              }
            }
            Thread.sleep(10);
          }
        });
  }
}
