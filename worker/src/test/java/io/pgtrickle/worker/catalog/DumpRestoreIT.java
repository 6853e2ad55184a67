package io.pgtrickle.worker.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pg_dump of a database with stream tables, restored with pg_restore (and psql) into another
 * server: the definitions survive, re-resolved by name; the first worker start there resets the
 * positions, which belong to the old server, so the worker repopulates.
 */
class DumpRestoreIT {

  private static CatalogDb a;
  private static CatalogDb b;

  @BeforeAll
  static void start() {
    a = CatalogDb.start();
    b = CatalogDb.start();
    for (CatalogDb s : List.of(a, b)) {
      s.sql("postgres", "CREATE ROLE analyst");
    }
  }

  @AfterAll
  static void stop() {
    for (CatalogDb s : new CatalogDb[] {a, b}) {
      if (s != null) {
        s.close();
      }
    }
  }

  private static void fill(String d) {
    a.migrate(d);
    a.sql(
        d,
        "CREATE TABLE orders (id int PRIMARY KEY, category text, amount numeric)",
        "INSERT INTO orders SELECT i, 'c' || i % 3, i FROM generate_series(1, 30) i",
        "CREATE VIEW big_orders AS SELECT id, category FROM orders WHERE amount > 10",
        "SELECT pgtrickle.create_stream_table('totals', 'SELECT category, sum(amount) AS total"
            + " FROM orders GROUP BY category', '5s')",
        "SELECT pgtrickle.create_stream_table('big_count', 'SELECT count(*) AS n FROM"
            + " big_orders', '@hourly')",
        "SELECT pgtrickle.create_stream_table('top', 'SELECT category FROM totals WHERE total"
            + " > 100', refresh_mode => 'FULL')",
        "SELECT pgtrickle.pause_stream_table('big_count')",
        "GRANT SELECT ON totals TO analyst",
        // Play the worker: populated, frontiers, a claimed source, a change buffer, history.
        "INSERT INTO totals SELECT category, sum(amount) FROM orders GROUP BY category",
        "UPDATE pgtrickle.pgt_stream_tables SET is_populated = true,"
            + " status = CASE status WHEN 'SUSPENDED' THEN status ELSE 'ACTIVE' END,"
            + " frontier = jsonb_build_object('sources', jsonb_build_object("
            + " 'orders'::regclass::oid::text, pg_current_wal_lsn()::text))",
        "UPDATE pgtrickle.pgt_change_tracking SET slot_name = 'pgtrickle_cdc_0',"
            + " captured_since_lsn = '0/1000000', ingested_lsn = pg_current_wal_lsn()",
        "CREATE TABLE pgtrickle_changes.changes_1 (lsn pg_lsn, seq int, xid bigint,"
            + " action \"char\", new_row jsonb, old_row jsonb, PRIMARY KEY (lsn, seq))",
        "INSERT INTO pgtrickle_changes.changes_1 VALUES ('0/2000000', 0, 700, 'I', '{}', NULL)",
        "INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, action, status, initiated_by,"
            + " end_time) SELECT pgt_id, 'FULL', 'COMPLETED', 'INITIAL', now() FROM"
            + " pgtrickle.pgt_stream_tables");
  }

  private static String definitions(CatalogDb s, String d) {
    return String.join(
        "\n",
        s.column(
            d,
            "SELECT concat_ws(' | ', pgt_relid, schedule, requested_refresh_mode, refresh_mode,"
                + " coalesce(differential_blocker, '-'), defining_query) FROM"
                + " pgtrickle.pgt_stream_tables ORDER BY pgt_id"));
  }

  @Test
  void pgRestoreKeepsTheDefinitionsAndTheWorkerStartResetsThePositions() throws Exception {
    String d = a.createDatabase("source_db");
    fill(d);
    String before = definitions(a, d);
    Path dump = Files.createTempFile("pgtrickle", ".dump");
    ServerProcess.run(
        List.of(
            a.server().bin().resolve("pg_dump").toString(),
            "-h",
            "127.0.0.1",
            "-p",
            String.valueOf(a.server().port()),
            "-U",
            "postgres",
            "-Fc",
            "-f",
            dump.toString(),
            d),
        120);
    b.sql("postgres", "CREATE DATABASE restored");
    // The pgtrickle roles are per server: create them first (or let a worker start create
    // them; pg_restore then reports the GRANTs to them as errors).
    b.migrate(b.createDatabase("roles_only"));
    ServerProcess.run(
        List.of(
            b.server().bin().resolve("pg_restore").toString(),
            "-h",
            "127.0.0.1",
            "-p",
            String.valueOf(b.server().port()),
            "-U",
            "postgres",
            "--exit-on-error",
            "-d",
            "restored",
            dump.toString()),
        120);
    Files.delete(dump);

    // Restored as dumped, relations resolved by name in the new database.
    assertThat(definitions(b, "restored")).isEqualTo(before);
    assertThat(
            b.column(
                "restored",
                "SELECT source_relid::text || ' ' || source_type FROM"
                    + " pgtrickle.pgt_dependencies ORDER BY 1"))
        .containsExactly("big_orders VIEW", "orders TABLE", "orders TABLE", "totals STREAM_TABLE");
    assertThat(b.one("restored", "SELECT count(*) FROM totals")).isEqualTo("3");
    assertThat(
            b.one(
                "restored",
                "SELECT relreplident::text FROM pg_class WHERE relname =" + " 'orders'"))
        .isEqualTo("f");
    assertThat(b.one("restored", "SELECT has_table_privilege('analyst', 'totals', 'SELECT')"))
        .isEqualTo("t");

    // The first worker start on the new server: nothing to migrate, positions reset.
    assertThat(b.migrate("restored").migrationsApplied()).isZero();
    assertThat(
            b.column(
                "restored",
                "SELECT concat_ws(' ', pgt_name, status, is_populated, needs_reinit,"
                    + " frontier IS NULL, refresh_reason) FROM pgtrickle.pgt_stream_tables"
                    + " ORDER BY pgt_id"))
        .containsExactly(
            "totals INITIALIZING f t t catalog restored from another server or database:"
                + " repopulating",
            "big_count SUSPENDED f t t catalog restored from another server or database:"
                + " repopulating",
            "top INITIALIZING f t t catalog restored from another server or database:"
                + " repopulating");
    assertThat(
            b.one(
                "restored",
                "SELECT concat_ws(' ', source_relid, slot_name IS NULL, captured_since_lsn IS"
                    + " NULL, ingested_lsn IS NULL, tracked_by_pgt_ids) FROM"
                    + " pgtrickle.pgt_change_tracking"))
        .isEqualTo("orders t t t {1,2}");
    assertThat(b.one("restored", "SELECT count(*) FROM pgtrickle_changes.changes_1"))
        .isEqualTo("0");
    // A second start leaves them alone.
    b.sql("restored", "UPDATE pgtrickle.pgt_stream_tables SET is_populated = true");
    b.migrate("restored");
    assertThat(
            b.one(
                "restored", "SELECT bool_and(is_populated) FROM" + " pgtrickle.pgt_stream_tables"))
        .isEqualTo("t");
    // The API works on the restored catalog.
    b.sql(
        "restored",
        "SELECT pgtrickle.alter_stream_table('totals', schedule => '1m')",
        "SELECT pgtrickle.drop_stream_table('totals', cascade => true)",
        "SELECT pgtrickle.create_stream_table('again', 'SELECT id FROM orders')");
    assertThat(
            b.column(
                "restored",
                "SELECT pgt_name FROM pgtrickle.pgt_stream_tables ORDER BY" + " pgt_id"))
        .containsExactly("big_count", "again");

    // The source itself, started again: same server, same database, nothing reset.
    a.migrate(d);
    assertThat(
            a.one(d, "SELECT bool_and(frontier IS NOT NULL) FROM" + " pgtrickle.pgt_stream_tables"))
        .isEqualTo("t");
  }

  @Test
  void aPlainSqlDumpRestoredWithPsqlAlsoWorks() throws Exception {
    String d = a.createDatabase("plain_db");
    fill(d);
    String before = definitions(a, d);
    Path dump = Files.createTempFile("pgtrickle", ".sql");
    ServerProcess.run(
        List.of(
            a.server().bin().resolve("pg_dump").toString(),
            "-h",
            "127.0.0.1",
            "-p",
            String.valueOf(a.server().port()),
            "-U",
            "postgres",
            "-f",
            dump.toString(),
            d),
        120);
    b.sql("postgres", "CREATE DATABASE plain_restored");
    b.migrate(b.createDatabase("roles_for_plain"));
    ServerProcess.run(
        List.of(
            b.server().bin().resolve("psql").toString(),
            "-h",
            "127.0.0.1",
            "-p",
            String.valueOf(b.server().port()),
            "-U",
            "postgres",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            "plain_restored",
            "-f",
            dump.toString()),
        120);
    Files.delete(dump);
    assertThat(definitions(b, "plain_restored")).isEqualTo(before);
    b.migrate("plain_restored");
    assertThat(
            b.one(
                "plain_restored",
                "SELECT bool_or(is_populated) FROM" + " pgtrickle.pgt_stream_tables"))
        .isEqualTo("f");
  }
}
