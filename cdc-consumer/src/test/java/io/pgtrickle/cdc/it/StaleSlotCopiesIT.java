package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.cdc.http.Health;
import io.pgtrickle.cdc.slot.SlotManager;
import io.pgtrickle.cdc.slot.StaleSlotCopies;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link StaleSlotCopies} against a real PostgreSQL 17 primary and a standby made from a copy of
 * its data directory, so the standby holds the primary's failover slot as its own, not
 * synchronized: the state a former primary rejoins in. Both are members; the copy is dropped on the
 * standby, the primary keeps its slot, and the standby's slot sync worker then keeps a synchronized
 * copy, which is never dropped. ({@code PatroniFailoverCdcIT} covers the same through real
 * failovers.) The same state on PostgreSQL 16, where a former primary keeps its copy once the slot
 * is in Patroni's {@code ignore_slots}: the copy is dropped only with {@code
 * PGTRICKLE_DROP_STANDBY_SLOT_COPIES}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StaleSlotCopiesIT {

  private static final String SLOT = "stale_copy_slot";
  private static final String HOST = "127.0.0.1";

  /**
   * The defaults: {@code PGTRICKLE_FAILOVER_SLOT=true}, {@code
   * PGTRICKLE_DROP_STANDBY_SLOT_COPIES=false}.
   */
  private static final StaleSlotCopies.Policy DEFAULTS = new StaleSlotCopies.Policy(true, false);

  @Test
  void aFormerPrimarysOwnCopyIsDroppedOnTheStandbyAndNothingElseIs() throws Exception {
    try (SourceDb db = SourceDb.start(major(17))) {
      PostgresServer primary = db.server();
      try (Connection c = connect(primary)) {
        new SlotManager(SLOT, true).ensureSlot(c);
      }
      try (PostgresServer standby =
          primary.startStandbyCopy(
              "standby_slot", "-c sync_replication_slots=on -c hot_standby_feedback=on")) {
        assertThat(copyOn(standby)).isEqualTo("own");

        // Both servers listen on 127.0.0.1 at different ports, where cluster members share a
        // port at different addresses: the members' names stand for addresses, and the
        // connector sends each to its server's port.
        Map<String, Integer> ports =
            Map.of("standby.member", standby.port(), "primary.member", primary.port());
        StaleSlotCopies.ServerConnector network =
            (host, port) -> connect(HOST, ports.getOrDefault(host, port));
        StaleSlotCopies copies =
            new StaleSlotCopies(
                SLOT, DEFAULTS, network, () -> List.of("standby.member", "primary.member"));
        try (Connection c = connect(primary)) {
          assertThat(copies.dropOnStandbys(c)).isEqualTo(1);
          // The standby's slot sync worker may already have made its own (temporary) copy in the
          // moment since: what must be gone is the stale one the consumer dropped.
          assertThat(copyOn(standby)).as("the stale copy").isNotEqualTo("own");
          assertThat(copyOn(primary)).as("the primary keeps its slot").isEqualTo("own");

          await("the standby's slot sync worker to keep a synchronized copy")
              .atMost(Duration.ofSeconds(120))
              .pollInterval(Duration.ofMillis(500))
              .until(
                  () -> {
                    // Move the primary's slot past the catalog xmin the standby reserved.
                    c.createStatement().execute("SELECT pg_log_standby_snapshot()");
                    c.createStatement()
                        .execute(
                            "SELECT pg_replication_slot_advance('"
                                + SLOT
                                + "', pg_current_wal_lsn())");
                    return copyOn(standby).equals("synchronized");
                  });

          StaleSlotCopies again =
              new StaleSlotCopies(
                  SLOT, DEFAULTS, network, () -> List.of("standby.member", "primary.member"));
          assertThat(again.dropOnStandbys(c)).as("a synchronized copy is kept").isZero();
          assertThat(copyOn(standby)).isEqualTo("synchronized");
          assertThat(copyOn(primary)).isEqualTo("own");
        }
      }
    }
  }

  @Test
  void before17AFormerPrimarysOwnCopyIsDroppedOnlyWhenAskedTo() throws Exception {
    try (SourceDb db = SourceDb.start(major(16))) {
      PostgresServer primary = db.server();
      try (Connection c = connect(primary)) {
        new SlotManager(SLOT, true).ensureSlot(c); // a plain logical slot before 17
      }
      // No sync_replication_slots before 17: nothing but the data directory's copy reaches the
      // standby.
      try (PostgresServer standby =
          primary.startStandbyCopy("standby_slot", "-c hot_standby_feedback=on")) {
        assertThat(slotOn(standby)).as("the former primary's own copy").isEqualTo("logical");
        assertThat(slotOn(primary)).isEqualTo("logical");

        Map<String, Integer> ports =
            Map.of("standby.member", standby.port(), "primary.member", primary.port());
        StaleSlotCopies.ServerConnector network =
            (host, port) -> connect(HOST, ports.getOrDefault(host, port));
        StaleSlotCopies.Members members = () -> List.of("standby.member", "primary.member");
        try (Connection c = connect(primary)) {
          assertThat(new StaleSlotCopies(SLOT, DEFAULTS, network, members).dropOnStandbys(c))
              .as("PGTRICKLE_DROP_STANDBY_SLOT_COPIES=false: a tool may keep the copy on purpose")
              .isZero();
          assertThat(slotOn(standby)).isEqualTo("logical");

          StaleSlotCopies copies =
              new StaleSlotCopies(SLOT, new StaleSlotCopies.Policy(true, true), network, members);
          assertThat(copies.dropOnStandbys(c)).isEqualTo(1);
          assertThat(slotOn(standby)).as("the stale copy").isEqualTo("none");
          assertThat(slotOn(primary)).as("the primary keeps its slot").isEqualTo("logical");
          // Still within the check window: every member is checked again, nothing is left.
          assertThat(copies.dropOnStandbys(c)).as("the second round").isZero();
          assertThat(slotOn(primary)).isEqualTo("logical");
        }
      }
    }
  }

  /**
   * Before 17, a standby's copy of the slot is invalidated by a recovery conflict once the primary
   * vacuums catalog rows it still needed ({@code conflicting}); when that standby becomes the
   * primary (a second switchover brought it back, in the demo, 11 s after it became a standby), the
   * consumer found its slot "lost" and stopped for good. With {@code
   * PGTRICKLE_DROP_STANDBY_SLOT_COPIES} (the operator sets it) the copy is replaced like a missing
   * slot: dropped, created again, GAP events; without it the consumer still stops, as before.
   */
  @Test
  void before17ACopyInvalidatedOnAStandbyIsReplacedOnceThatStandbyIsPromoted() throws Exception {
    try (SourceDb db = SourceDb.start(major(16))) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
      long t = db.relationOid("t");
      Path dir = ServerProcess.targetDir("stale-copy-promoted");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "t", SLOT, uri);
      try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        LogReader read = new LogReader(log);
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          db.sql("INSERT INTO t VALUES (1)");
          read.awaitChanges(t, List.of("INSERT 1"));
        }
        PostgresServer primary = db.server();
        try (PostgresServer standby =
            primary.startStandbyCopy("standby_slot", "-c hot_standby_feedback=off")) {
          assertThat(slotOn(standby)).as("the data directory's copy").isEqualTo("logical");
          // The primary's slot goes (nothing holds its catalog rows any more) and vacuum removes
          // them: replaying that, the standby invalidates its copy.
          db.sql("SELECT pg_drop_replication_slot('" + SLOT + "')");
          await("the standby's copy invalidated by a recovery conflict")
              .atMost(Duration.ofSeconds(60))
              .pollInterval(Duration.ofMillis(500))
              .until(
                  () -> {
                    db.sql(
                        "CREATE TABLE churn (i int)",
                        "DROP TABLE churn",
                        "VACUUM pg_class",
                        "VACUUM pg_attribute",
                        "VACUUM pg_type",
                        "SELECT pg_log_standby_snapshot()");
                    return conflicting(standby);
                  });
          primary.stop();
          try (Connection c = connect(standby)) {
            c.createStatement().execute("SELECT pg_promote()");
          }
          Map<String, String> promoted = new java.util.HashMap<>(env);
          promoted.put(
              "PGTRICKLE_SOURCE_URL",
              "jdbc:postgresql://127.0.0.1:" + standby.port() + "/postgres");

          try (Consumers.InProcess consumer = new Consumers.InProcess(promoted, log, null)) {
            Consumers.await(
                "without PGTRICKLE_DROP_STANDBY_SLOT_COPIES: stopped for good",
                Duration.ofSeconds(30),
                () -> !Health.liveness(consumer.state, Long.MAX_VALUE).ok());
            assertThat(Health.liveness(consumer.state, Long.MAX_VALUE).message())
                .contains("is lost")
                .contains("conflicting=true");
          }

          promoted.put("PGTRICKLE_DROP_STANDBY_SLOT_COPIES", "true");
          try (Consumers.InProcess consumer = new Consumers.InProcess(promoted, log, null)) {
            Consumers.await("streaming again", Duration.ofSeconds(30), consumer.state::streaming);
            assertThat(conflicting(standby)).as("the copy replaced by a new slot").isFalse();
            try (Connection c = connect(standby)) {
              c.createStatement().execute("INSERT INTO t VALUES (2)");
            }
            read.await(t, List.of("GAP", "INSERT 1", "GAP", "INSERT 2"));
          }
        }
      }
    }
  }

  /** Whether the server's slot was invalidated by a recovery conflict. */
  private static boolean conflicting(PostgresServer server) throws SQLException {
    try (Connection c = connect(server);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT coalesce(conflicting, false) FROM pg_replication_slots"
                        + " WHERE slot_name = '"
                        + SLOT
                        + "'")) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  @Test
  void onAPrimaryBefore17ThereIsNothingToDrop() throws Exception {
    try (SourceDb db = SourceDb.start();
        Connection c = connect(db.server())) {
      new SlotManager(SLOT, true).ensureSlot(c);
      for (StaleSlotCopies.Policy policy :
          List.of(DEFAULTS, new StaleSlotCopies.Policy(true, true))) {
        StaleSlotCopies copies =
            new StaleSlotCopies(
                SLOT,
                policy,
                (host, port) -> connect(HOST, db.server().port()),
                () -> List.of("member"));
        assertThat(copies.dropOnStandbys(c)).as("%s", policy).isZero();
        assertThat(db.slotExists(SLOT)).isTrue();
      }
    }
  }

  /** The binaries of one major among {@link SourceDb#allMajors()}. */
  private static Path major(int major) {
    return SourceDb.allMajors().stream()
        .filter(b -> b.toString().contains("/" + major + "."))
        .findFirst()
        .orElseThrow();
  }

  private static Connection connect(String host, int port) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://" + host + ":" + port + "/postgres?user=postgres");
  }

  private static Connection connect(PostgresServer server) throws SQLException {
    return connect(HOST, server.port());
  }

  /** "none", "own" (not synchronized), "temporary" or "synchronized". */
  private static String copyOn(PostgresServer server) throws SQLException {
    try (Connection c = connect(server);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT synced, temporary FROM pg_replication_slots WHERE slot_name = '"
                        + SLOT
                        + "'")) {
      if (!rs.next()) {
        return "none";
      }
      return !rs.getBoolean(1) ? "own" : rs.getBoolean(2) ? "temporary" : "synchronized";
    }
  }

  /** "none", or the type of the server's slot of that name; any major. */
  private static String slotOn(PostgresServer server) throws SQLException {
    try (Connection c = connect(server);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT slot_type FROM pg_replication_slots WHERE slot_name = '"
                        + SLOT
                        + "'")) {
      return rs.next() ? rs.getString(1) : "none";
    }
  }
}
