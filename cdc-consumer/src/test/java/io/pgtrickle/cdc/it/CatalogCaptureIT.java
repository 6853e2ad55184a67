package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.http.Health;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CONTRACTS.md §2: the captured tables follow {@code pgtrickle.pgt_change_tracking}. The consumer
 * starts before the catalog exists (no rows yet), claims the rows that are its own by ordinal
 * ({@code PGTRICKLE_REPLICAS} = 2, ordinal 0), waits for the transactions in flight when it added a
 * table, then sets {@code captured_since_lsn}: every transaction committing at or after it is in
 * the change log, after a GAP event marking the start. A deleted row takes the table out of the
 * publication (never a {@code --tables} one); a dropped table gets a GAP event; decommission gives
 * the rows up.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CatalogCaptureIT {

  private static final String SLOT = "catalog_0";

  @Test
  void tablesFollowTheCatalogRowsThisConsumerOwns() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql("CREATE TABLE s (id int8 PRIMARY KEY)");
      List<String> ours = new ArrayList<>();
      List<String> theirs = new ArrayList<>();
      for (int i = 0; ours.size() < 3 || theirs.isEmpty(); i++) {
        db.sql("CREATE TABLE c" + i + " (id int8 PRIMARY KEY)");
        (db.relationOid("c" + i) % 2 == 0 ? ours : theirs).add("c" + i);
      }
      Path dir = ServerProcess.targetDir("catalog");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "s", SLOT, uri);
      env.put("PGTRICKLE_CATALOG_POLL_MS", "100");
      env.put("PGTRICKLE_REPLICAS", "2");
      env.put("PGTRICKLE_ORDINAL", "0");
      String a = ours.get(0);
      String w = ours.get(1);
      String dropped = ours.get(2);
      try (ChangeLogBackend log = ChangeLogBackends.open(uri);
          Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
        LogReader read = new LogReader(log);
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        ServerProcess.sleep(300); // a few rounds without the catalog: nothing to do, no error
        assertThat(Health.readiness(consumer.state).ok()).isTrue();
        ChangeTracking.install(db);

        // A writer commits into a while it is added: every transaction that committed at or after
        // captured_since_lsn (known from an LSN read inside it) must be in the change log.
        Writer writer = new Writer(db, a);
        Thread writing = new Thread(writer, "writer");
        writing.start();
        ServerProcess.sleep(200);
        ChangeTracking.track(db, a);
        theirs.forEach(t -> ChangeTracking.track(db, t));
        ChangeTracking.track(db, "s");
        Consumers.await(
            a + " captured",
            Duration.ofSeconds(30),
            () -> ChangeTracking.capturedSince(db, a) != null);
        ServerProcess.sleep(300);
        writer.stop.set(true);
        writing.join();
        Lsn since = Lsn.parse(ChangeTracking.capturedSince(db, a));
        assertThat(ChangeTracking.slotOf(db, a)).isEqualTo(SLOT);
        for (String t : theirs) {
          assertThat(ChangeTracking.slotOf(db, t)).as("%s is another consumer's", t).isNull();
          assertThat(ChangeTracking.inAnyPublication(db, t)).isFalse();
        }
        List<Long> required = new ArrayList<>();
        synchronized (writer.rows) {
          writer.rows.forEach(
              r -> {
                if (!since.isAfter(r.lowerBound)) {
                  required.add(r.id);
                }
              });
        }
        assertThat(required).as("rows committed after captured_since_lsn").isNotEmpty();
        long aOid = db.relationOid(a);
        Consumers.await(
            "every row committed after captured_since_lsn " + since,
            Duration.ofSeconds(30),
            () -> ids(read.events(aOid)).containsAll(required));
        // One GAP marks the start; what committed before it may be missing (transactions in
        // flight during the add), everything from captured_since_lsn on comes after it.
        List<ChangeEvent> aEvents = read.events(aOid);
        List<String> history = ExactlyOnceIT.history(aEvents);
        assertThat(history.stream().filter("GAP"::equals).count()).isEqualTo(1);
        int gap = history.indexOf("GAP");
        assertThat(ids(aEvents.subList(gap + 1, aEvents.size()))).containsAll(required);

        // A transaction in flight when the table is added holds captured_since_lsn back.
        try (Connection inFlight = db.connect();
            Statement s = inFlight.createStatement()) {
          inFlight.setAutoCommit(false);
          s.execute("INSERT INTO " + w + " VALUES (100)");
          ChangeTracking.track(db, w);
          Consumers.await(
              w + " in the publication",
              Duration.ofSeconds(30),
              () -> ChangeTracking.published(db, SLOT, w));
          ServerProcess.sleep(1000);
          assertThat(ChangeTracking.capturedSince(db, w))
              .as("not captured while a transaction from before is running")
              .isNull();
          inFlight.commit();
        }
        Consumers.await(
            w + " captured",
            Duration.ofSeconds(30),
            () -> ChangeTracking.capturedSince(db, w) != null);
        db.sql("INSERT INTO " + w + " VALUES (101)");
        Consumers.await(
            "101 in the change log",
            Duration.ofSeconds(30),
            () -> ids(read.events(db.relationOid(w))).contains(101L));

        // Deleted rows: a leaves the publication; s (a --tables table) stays.
        ChangeTracking.untrack(db, a);
        ChangeTracking.untrack(db, "s");
        Consumers.await(
            a + " out of the publication",
            Duration.ofSeconds(30),
            () -> !ChangeTracking.published(db, SLOT, a));
        assertThat(ChangeTracking.published(db, SLOT, "s")).isTrue();

        // A dropped table: its history ends with a GAP event.
        ChangeTracking.track(db, dropped);
        Consumers.await(
            dropped + " captured",
            Duration.ofSeconds(30),
            () -> ChangeTracking.capturedSince(db, dropped) != null);
        long droppedOid = db.relationOid(dropped);
        db.sql("INSERT INTO " + dropped + " VALUES (1)", "DROP TABLE " + dropped);
        read.await(droppedOid, List.of("GAP", "INSERT 1", "GAP"));
        assertThat(Health.readiness(consumer.state).ok()).isTrue();
      }

      Path decommissionLog = dir.resolve("decommission.log");
      ReplicaIdentityIT.assertExitsWith(
          Consumers.child(env, decommissionLog, "decommission"), 0, decommissionLog);
      assertThat(
              db.queryOne(
                  "SELECT count(*) FROM pgtrickle.pgt_change_tracking WHERE slot_name IS NOT NULL"))
          .as("rows given up")
          .isEqualTo("0");
      assertThat(db.queryOne("SELECT count(*) FROM pg_publication WHERE pubname = '" + SLOT + "'"))
          .isEqualTo("0");
    }
  }

  private static List<Long> ids(List<ChangeEvent> events) {
    List<Long> out = new ArrayList<>();
    for (ChangeEvent e : events) {
      if (e.columns() != null) {
        out.add((Long) e.columns().get("id"));
      }
    }
    return out;
  }

  /** Commits one row per transaction, recording an LSN read inside it (below its commit LSN). */
  private static final class Writer implements Runnable {
    record Row(long id, Lsn lowerBound) {}

    final List<Row> rows = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean stop = new AtomicBoolean();
    private final SourceDb db;
    private final String table;

    Writer(SourceDb db, String table) {
      this.db = db;
      this.table = table;
    }

    @Override
    public void run() {
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        for (long id = 1; !stop.get(); id++) {
          s.execute("INSERT INTO " + table + " VALUES (" + id + ")");
          Lsn lowerBound;
          try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            lowerBound = Lsn.parse(rs.getString(1));
          }
          c.commit();
          rows.add(new Row(id, lowerBound));
          Thread.sleep(5);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
