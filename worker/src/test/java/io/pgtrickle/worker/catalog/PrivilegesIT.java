package io.pgtrickle.worker.catalog;

import static io.pgtrickle.worker.catalog.SqlErrors.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Roles and privileges: pgtrickle_reader / _operator / _admin, stream tables owned by their
 * creators, the SECURITY DEFINER catalog writes authorizing their callers.
 */
class PrivilegesIT {

  private static CatalogDb db;
  private static String d;

  @BeforeAll
  static void start() {
    db = CatalogDb.start();
    d = db.freshDatabase();
    db.sql(
        "postgres",
        "CREATE ROLE alice LOGIN",
        "CREATE ROLE bob LOGIN",
        "CREATE ROLE carol LOGIN",
        "CREATE ROLE dave LOGIN",
        "CREATE ROLE erin LOGIN",
        "GRANT pgtrickle_operator TO alice, bob",
        "GRANT pgtrickle_reader TO dave",
        "GRANT pgtrickle_admin TO erin");
    db.sql(
        d,
        "GRANT CREATE ON SCHEMA public TO alice, bob",
        "CREATE TABLE orders (id int PRIMARY KEY, amount numeric)",
        "CREATE TABLE secrets (id int PRIMARY KEY, secret text)",
        "GRANT SELECT ON orders TO alice, bob");
  }

  @AfterAll
  static void stop() {
    if (db != null) {
      db.close();
    }
  }

  private static void as(String role, String... sql) throws Exception {
    try (Connection c = db.connect(d, role);
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  private static void failsAs(String role, String sql, String state, String... fragments)
      throws Exception {
    try (Connection c = db.connect(d, role)) {
      assertFails(c, sql, state, fragments);
    }
  }

  @Test
  void theRolesExistInTheirHierarchy() {
    assertThat(
            db.column(
                d,
                "SELECT r.rolname || ' in ' || m.rolname FROM pg_auth_members a"
                    + " JOIN pg_roles r ON r.oid = a.member JOIN pg_roles m ON m.oid = a.roleid"
                    + " WHERE m.rolname LIKE 'pgtrickle%' AND r.rolname LIKE 'pgtrickle%'"
                    + " ORDER BY 1"))
        .containsExactly(
            "pgtrickle_admin in pgtrickle_operator", "pgtrickle_operator in pgtrickle_reader");
    // Nothing for PUBLIC.
    assertThat(
            db.one(
                d,
                "SELECT count(*) FROM pg_proc WHERE pronamespace = 'pgtrickle'::regnamespace"
                    + " AND has_function_privilege('carol', oid, 'EXECUTE')"))
        .isEqualTo("0");
  }

  @Test
  void operatorsCreateStreamTablesTheyOwnOverTablesTheyMayRead() throws Exception {
    as(
        "alice",
        "SELECT pgtrickle.create_stream_table('alice_totals', 'SELECT count(*) AS n, sum(amount)"
            + " AS total FROM orders')");
    assertThat(
            db.one(
                d,
                "SELECT relowner::regrole::text FROM pg_class WHERE relname =" + " 'alice_totals'"))
        .isEqualTo("alice");
    // The catalog's owner gave the source REPLICA IDENTITY FULL although alice does not own it.
    assertThat(db.one(d, "SELECT relreplident::text FROM pg_class WHERE relname = 'orders'"))
        .isEqualTo("f");
    failsAs(
        "alice",
        "SELECT pgtrickle.create_stream_table('leak', 'SELECT secret FROM secrets')",
        "42501",
        "secrets");
    // Readable by those it is granted to.
    failsAs("dave", "SELECT * FROM alice_totals", "42501", "alice_totals");
    as("alice", "GRANT SELECT ON alice_totals TO dave");
    as("dave", "SELECT * FROM alice_totals");
    // Readers see the catalog and the views, and cannot create.
    as(
        "dave",
        "SELECT * FROM pgtrickle.pg_stat_stream_tables",
        "SELECT * FROM pgtrickle.pg_stat_pgtrickle",
        "SELECT * FROM pgtrickle.pgt_stream_tables",
        "SELECT pgtrickle.explain_stream_table('alice_totals')");
    try (Connection c = db.connect(d, "dave");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pgtrickle.explain_stream_table('alice_totals')")) {
      rs.next();
      assertThat(rs.getString(1)).contains("Defining query:", "(not shown: permission denied");
    }
    failsAs(
        "dave",
        "SELECT pgtrickle.create_stream_table('d', 'SELECT id FROM orders')",
        "42501",
        "create_stream_table");
    // Without a pgtrickle role: nothing.
    failsAs("carol", "SELECT pgtrickle.create_stream_table('c', 'SELECT 1')", "42501");
    failsAs("carol", "SELECT * FROM pgtrickle.pgt_stream_tables", "42501");
  }

  @Test
  void onlyTheOwnerOrAnAdminManagesAStreamTable() throws Exception {
    as("alice", "SELECT pgtrickle.create_stream_table('alice_ids', 'SELECT id FROM orders', '1m')");
    failsAs("bob", "SELECT pgtrickle.drop_stream_table('alice_ids')", "42501", "must be owner");
    failsAs(
        "bob",
        "SELECT pgtrickle.alter_stream_table('alice_ids', schedule => '1s')",
        "42501",
        "must be owner");
    failsAs("bob", "SELECT pgtrickle.pause_stream_table('alice_ids')", "42501", "must be owner");
    failsAs(
        "bob",
        "SELECT pgtrickle.alter_stream_table('alice_ids', query => 'SELECT id FROM"
            + " orders WHERE id > 1')",
        "42501");
    failsAs("bob", "SELECT pgtrickle.stat_reset_all()", "42501");
    // The catalog is not writable directly, and the definer functions check their caller.
    failsAs(
        "bob",
        "UPDATE pgtrickle.pgt_stream_tables SET schedule = '1s'",
        "42501",
        "pgt_stream_tables");
    failsAs("bob", "DELETE FROM pgtrickle.pgt_change_tracking", "42501");
    failsAs(
        "bob", "SELECT pgtrickle._set_options('alice_ids', '{\"status\": \"SUSPENDED\"}')",
        "42501", "must be owner");
    failsAs("bob", "SELECT pgtrickle._unregister('alice_ids')", "42501", "must be owner");
    failsAs("bob", "SELECT pgtrickle._track_sources(1)", "42501");
    assertThat(
            db.one(
                d,
                "SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name =" + " 'alice_ids'"))
        .isEqualTo("INITIALIZING");
    // The owner and an admin may.
    as("alice", "SELECT pgtrickle.pause_stream_table('alice_ids')");
    as(
        "erin",
        "SELECT pgtrickle.resume_stream_table('alice_ids')",
        "SELECT pgtrickle.stat_reset_all()");
    // Dropping drops the table: that takes its owner (or a superuser), as DROP TABLE does.
    failsAs(
        "erin",
        "SELECT pgtrickle.drop_stream_table('alice_ids')",
        "42501",
        "must be owner of table alice_ids");
    as("alice", "SELECT pgtrickle.drop_stream_table('alice_ids')");
    assertThat(db.one(d, "SELECT to_regclass('alice_ids')")).isNull();
  }

  @Test
  void aDirectCallOfTheRegistrationCannotReadPastItsCallersPrivileges() throws Exception {
    // bob builds what create_stream_table would, by hand, over a table he may not read...
    try (Connection c = db.connect(d, "bob");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE bob_copy (secret text)");
      s.execute("CREATE TEMP VIEW probe AS SELECT secret FROM secrets");
      assertFails(
          c,
          "SELECT pgtrickle._register('bob_copy', 'pg_temp.probe', '{}')",
          "42501",
          "permission denied for table public.secrets",
          "role bob, must be able to read");
      // ... or registers a table he does not own.
      s.execute("CREATE TEMP VIEW probe2 AS SELECT id FROM orders");
      assertFails(
          c,
          "SELECT pgtrickle._register('orders', 'pg_temp.probe2', '{}')",
          "42501",
          "must be owner");
      // A view of another session or a permanent one is not a probe.
      s.execute("CREATE VIEW bob_view AS SELECT id FROM orders");
      s.execute("CREATE TABLE bob_ids (id int)");
      assertFails(
          c,
          "SELECT pgtrickle._register('bob_ids', 'bob_view', '{}')",
          "42809",
          "not a temporary view");
      try (ResultSet rs =
          s.executeQuery(
              "SELECT count(*) FROM pgtrickle.pgt_stream_tables" + " WHERE pgt_name LIKE 'bob%'")) {
        rs.next();
        assertThat(rs.getInt(1)).isZero();
      }
    }
  }
}
