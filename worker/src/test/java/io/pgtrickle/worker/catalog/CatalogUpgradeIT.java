package io.pgtrickle.worker.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** A worker of today upgrading a catalog a version-1 worker installed and filled. */
class CatalogUpgradeIT {

  private static CatalogDb db;

  @BeforeAll
  static void start() {
    db = CatalogDb.start();
  }

  @AfterAll
  static void stop() {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void version2AndTheFunctionsInstallOverVersion1Data() throws Exception {
    String d = db.createDatabase("upgrade");
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(db.url(d));
    ds.setUser("postgres");
    // What a version-1 worker installed: V1 only (no functions, no callback).
    Flyway.configure()
        .configuration(CatalogMigrations.flyway(ds).getConfiguration())
        .target("1")
        .repeatableSqlMigrationPrefix("NOT_A_MIGRATION_")
        .skipDefaultCallbacks(true)
        .validateMigrationNaming(false)
        .load()
        .migrate();
    assertThat(db.one(d, "SELECT max(version) FROM pgtrickle.flyway_schema_history"))
        .isEqualTo("1");
    assertThat(db.one(d, "SELECT to_regproc('pgtrickle.create_stream_table')")).isNull();
    // ... and what it wrote.
    db.sql(
        d,
        "CREATE TABLE orders (id int PRIMARY KEY, amount numeric)",
        "CREATE TABLE totals (n bigint)",
        "INSERT INTO pgtrickle.pgt_stream_tables (pgt_relid, pgt_schema, pgt_name,"
            + " defining_query, schedule, refresh_mode, requested_refresh_mode, status,"
            + " is_populated, frontier, created_at) VALUES ('totals', 'public', 'totals',"
            + " 'SELECT count(*) AS n FROM public.orders', '5s', 'DIFFERENTIAL', 'AUTO',"
            + " 'ACTIVE', true, '{\"sources\": {}}', '2026-01-02 03:04:05+00')",
        "INSERT INTO pgtrickle.pgt_dependencies VALUES (1, 'orders', 'TABLE', '{}')",
        "INSERT INTO pgtrickle.pgt_change_tracking (source_relid, slot_name,"
            + " captured_since_lsn, ingested_lsn, tracked_by_pgt_ids)"
            + " VALUES ('orders', 'pgtrickle_cdc_0', '0/16B3740', '0/16B3800', '{1}')",
        "INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, start_time, end_time, action,"
            + " status, initiated_by) VALUES (1, '2026-01-02 03:05:00+00',"
            + " '2026-01-02 03:05:01+00', 'FULL', 'COMPLETED', 'INITIAL')");

    CatalogMigrations.Result r = db.migrate(d);
    assertThat(r.previousVersion()).isEqualTo("1");
    assertThat(r.version()).isEqualTo(CatalogMigrationsIT.latestVersion());

    // The data is intact, new columns filled in.
    assertThat(
            db.one(
                d,
                "SELECT concat_ws(' ', pgt_relid, status, is_populated, frontier, stats_reset_at"
                    + " = created_at) FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("totals ACTIVE t {\"sources\": {}} t");
    assertThat(
            db.one(
                d,
                "SELECT concat_ws(' ', source_relid, slot_name, captured_since_lsn,"
                    + " ingested_lsn, tracked_by_pgt_ids) FROM pgtrickle.pgt_change_tracking"))
        .isEqualTo("orders pgtrickle_cdc_0 0/16B3740 0/16B3800 {1}");
    assertThat(db.one(d, "SELECT total_refreshes FROM pgtrickle.pg_stat_pgtrickle")).isEqualTo("1");
    // Same server and database: the restore check keeps the positions.
    assertThat(db.one(d, "SELECT count(*) FROM pgtrickle.pgt_instance")).isEqualTo("1");
    // The API works on what version 1 wrote.
    db.sql(d, "SELECT pgtrickle.alter_stream_table('totals', schedule => '1m')");
    assertThat(db.one(d, "SELECT schedule FROM pgtrickle.pgt_stream_tables")).isEqualTo("1m");
    db.sql(
        d,
        "CREATE VIEW big AS SELECT id FROM orders WHERE amount > 10",
        "SELECT pgtrickle.create_stream_table('big_ids', 'SELECT id FROM big')");
    assertThat(
            db.column(
                d,
                "SELECT source_type FROM pgtrickle.pgt_dependencies WHERE pgt_id ="
                    + " 2 ORDER BY 1"))
        .containsExactly("TABLE", "VIEW");
    db.sql(d, "SELECT pgtrickle.drop_stream_table('totals')");
    assertThat(db.one(d, "SELECT tracked_by_pgt_ids::text FROM pgtrickle.pgt_change_tracking"))
        .isEqualTo("{2}");
    // And a second start changes nothing.
    assertThat(db.migrate(d).migrationsApplied()).isZero();
  }
}
