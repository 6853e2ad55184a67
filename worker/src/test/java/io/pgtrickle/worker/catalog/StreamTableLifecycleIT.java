package io.pgtrickle.worker.catalog;

import static io.pgtrickle.worker.catalog.SqlErrors.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** alter, drop, pause, resume, explain, cycles, and the monitoring views. */
class StreamTableLifecycleIT {

  private static CatalogDb db;
  private String d;
  private Connection c;

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

  @BeforeEach
  void database() throws Exception {
    d = db.freshDatabase();
    c = db.connect(d);
    exec(
        "CREATE TABLE orders (id int PRIMARY KEY, category text, amount numeric)",
        "CREATE TABLE customers (id int PRIMARY KEY, name text)",
        "SELECT pgtrickle.create_stream_table('totals', 'SELECT category, sum(amount) AS total"
            + " FROM orders GROUP BY category', '5s')");
  }

  @AfterEach
  void close() throws Exception {
    c.close();
  }

  private void exec(String... sql) throws Exception {
    try (Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  private String one(String sql) {
    return db.one(d, sql);
  }

  private String row(String name) {
    return one(
        "SELECT coalesce(schedule, 'calculated') || ' ' || refresh_mode || ' ' ||"
            + " requested_refresh_mode || ' ' || status || ' ' || needs_reinit FROM"
            + " pgtrickle.pgt_stream_tables WHERE pgt_name = '"
            + name
            + "'");
  }

  @Test
  void alterChangesOnlyWhatIsGiven() throws Exception {
    exec("SELECT pgtrickle.alter_stream_table('totals', schedule => '1m')");
    assertThat(row("totals")).isEqualTo("1m DIFFERENTIAL AUTO INITIALIZING false");
    exec("SELECT pgtrickle.alter_stream_table('totals', refresh_mode => 'full')");
    assertThat(row("totals")).isEqualTo("1m FULL FULL INITIALIZING true");
    exec("SELECT pgtrickle.alter_stream_table('totals', schedule => 'calculated')");
    assertThat(row("totals")).isEqualTo("calculated FULL FULL INITIALIZING true");
    exec("SELECT pgtrickle.alter_stream_table('totals', status => 'SUSPENDED')");
    assertThat(row("totals")).startsWith("calculated FULL FULL SUSPENDED");
    exec("SELECT pgtrickle.alter_stream_table('totals', status => 'active')");
    assertThat(row("totals")).startsWith("calculated FULL FULL INITIALIZING");
    assertFails(
        c,
        "SELECT pgtrickle.alter_stream_table('totals', status => 'ERROR')",
        "22023",
        "ACTIVE (resume) or SUSPENDED (pause)");
    assertFails(
        c, "SELECT pgtrickle.alter_stream_table('totals', schedule => 'soon')", "22023", "soon");
    assertFails(c, "SELECT pgtrickle.alter_stream_table('totals', tier => 'hot')", "0A000", "tier");
    assertFails(
        c, "SELECT pgtrickle.alter_stream_table('nope', schedule => '1m')", "42P01", "nope");
    assertFails(
        c,
        "SELECT pgtrickle.alter_stream_table('orders', schedule => '1m')",
        "42809",
        "not a stream table");
  }

  @Test
  void alterQueryReplacesTheQueryTheColumnsAndTheSources() throws Exception {
    exec(
        "UPDATE pgtrickle.pgt_stream_tables SET status = 'ACTIVE', is_populated = true,"
            + " frontier = '{\"sources\": {}}'");
    exec(
        "SELECT pgtrickle.alter_stream_table('totals', query => 'SELECT c.name, count(*) AS n"
            + " FROM customers c GROUP BY c.name')");
    assertThat(
            one(
                "SELECT status || ' ' || is_populated || ' ' || needs_reinit || ' ' ||"
                    + " (frontier IS NULL) FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("INITIALIZING false true true");
    assertThat(
            db.column(
                d,
                "SELECT attname || ' ' || format_type(atttypid, atttypmod) FROM pg_attribute"
                    + " WHERE attrelid = 'totals'::regclass AND attnum > 0 AND NOT attisdropped"
                    + " ORDER BY attnum"))
        .containsExactly("name text", "n bigint");
    assertThat(one("SELECT string_agg(source_relid::text, ',') FROM pgtrickle.pgt_dependencies"))
        .isEqualTo("customers");
    // orders is no longer needed: the CDC stops capturing it.
    assertThat(db.column(d, "SELECT source_relid::text FROM pgtrickle.pgt_change_tracking"))
        .containsExactly("customers");
    // A query that cannot be the stream table's leaves everything as it was.
    assertFails(
        c,
        "SELECT pgtrickle.alter_stream_table('totals', query => 'SELECT now() AS t FROM"
            + " orders')",
        "42P17",
        "now()");
    assertThat(one("SELECT defining_query LIKE '%customers%' FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("t");
  }

  @Test
  void dropRemovesTheTableAndItsCatalogRowsButKeepsSharedSourcesTracked() throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table('big', 'SELECT id, amount FROM orders WHERE"
            + " amount > 100')",
        "INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, action, status, initiated_by)"
            + " SELECT pgt_id, 'FULL', 'COMPLETED', 'INITIAL' FROM pgtrickle.pgt_stream_tables");
    exec("SELECT pgtrickle.drop_stream_table('totals')");
    assertThat(one("SELECT to_regclass('totals')")).isNull();
    assertThat(db.column(d, "SELECT pgt_name FROM pgtrickle.pgt_stream_tables"))
        .containsExactly("big");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_refresh_history")).isEqualTo("1");
    assertThat(
            one(
                "SELECT source_relid::text || ' ' || tracked_by_pgt_ids::text FROM"
                    + " pgtrickle.pgt_change_tracking"))
        .isEqualTo("orders {2}");
    exec("SELECT pgtrickle.drop_stream_table('big')");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_change_tracking")).isEqualTo("0");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_dependencies")).isEqualTo("0");
    assertFails(c, "SELECT pgtrickle.drop_stream_table('big')", "42P01", "big");
    assertFails(c, "SELECT pgtrickle.drop_stream_table('orders')", "42809", "not a stream");
  }

  @Test
  void dependentStreamTablesBlockADropUnlessCascade() throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table('top', 'SELECT category FROM totals WHERE total"
            + " > 10')",
        "CREATE VIEW top_view AS SELECT * FROM top");
    assertThat(
            one(
                "SELECT source_type || ' ' || differential_blocker FROM pgtrickle.pgt_dependencies"
                    + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = 'top'"))
        .isEqualTo("STREAM_TABLE stream table source");
    // Stream tables as sources are not captured by the CDC.
    assertThat(db.column(d, "SELECT source_relid::text FROM pgtrickle.pgt_change_tracking"))
        .containsExactly("orders");
    assertFails(
        c,
        "SELECT pgtrickle.drop_stream_table('totals')",
        "2BP01",
        "stream table public.top depends on stream table public.totals",
        "cascade");
    assertFails(c, "SELECT pgtrickle.drop_stream_table('top')", "2BP01", "top_view");
    exec("SELECT pgtrickle.drop_stream_table('totals', cascade => true)");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("0");
    assertThat(one("SELECT to_regclass('top')")).isNull();
    assertThat(one("SELECT to_regclass('top_view')")).isNull();
  }

  @Test
  void cyclesAreRefusedNamingThePath() throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table('a', 'SELECT category, total FROM totals')",
        "SELECT pgtrickle.create_stream_table('b', 'SELECT category, total FROM a')");
    assertFails(
        c,
        "SELECT pgtrickle.alter_stream_table('totals', query => 'SELECT category, total FROM"
            + " b')",
        "42P17",
        "would depend on itself",
        "public.totals -> public.b -> public.a -> public.totals");
    assertFails(
        c,
        "SELECT pgtrickle.alter_stream_table('a', query => 'SELECT category, total FROM a')",
        "42P17",
        "public.a -> public.a");
    assertFails(
        c,
        "SELECT pgtrickle.create_or_replace_stream_table('a', 'SELECT category, total FROM"
            + " b')",
        "42P17",
        "public.a -> public.b -> public.a");
    assertThat(
            one(
                "SELECT defining_query LIKE '%public.totals%' FROM"
                    + " pgtrickle.pgt_stream_tables WHERE pgt_name = 'a'"))
        .isEqualTo("t");
  }

  @Test
  void plainDdlKeepsTheCatalogInStep() throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table('names', 'SELECT name FROM customers')",
        "CREATE SCHEMA archive");
    // Renames and moves show in pgt_schema / pgt_name.
    exec("ALTER TABLE totals RENAME TO category_totals", "ALTER TABLE names SET SCHEMA archive");
    assertThat(
            db.column(
                d,
                "SELECT pgt_schema || '.' || pgt_name FROM pgtrickle.pgt_stream_tables ORDER BY"
                    + " pgt_id"))
        .containsExactly("public.category_totals", "archive.names");
    // DROP TABLE of a stream table removes it from the catalog, and its sources' tracking.
    exec("DROP TABLE category_totals");
    assertThat(db.column(d, "SELECT pgt_name FROM pgtrickle.pgt_stream_tables"))
        .containsExactly("names");
    assertThat(db.column(d, "SELECT source_relid::text FROM pgtrickle.pgt_change_tracking"))
        .containsExactly("customers");
    // A dropped source is no longer tracked; the stream table stays, for the worker to report.
    exec("DROP TABLE customers");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_change_tracking")).isEqualTo("0");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("1");
    exec("DROP SCHEMA archive CASCADE");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("0");
  }

  @Test
  void pauseAndResume() throws Exception {
    exec("SELECT pgtrickle.pause_stream_table('totals')");
    assertThat(row("totals")).contains("SUSPENDED");
    exec(
        "UPDATE pgtrickle.pgt_stream_tables SET status = 'ERROR', is_populated = true,"
            + " consecutive_errors = 3, last_error_message = 'boom'");
    exec("SELECT pgtrickle.resume_stream_table('totals')");
    assertThat(one("SELECT status || ' ' || consecutive_errors FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("ACTIVE 0");
    assertFails(c, "SELECT pgtrickle.pause_stream_table('nope')", "42P01", "nope");
  }

  @Test
  void explainShowsModeBlockerSourcesQueryAndPlan() throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table('ranked', 'SELECT id, rank() OVER (ORDER BY"
            + " amount) AS r FROM orders')");
    String text = one("SELECT pgtrickle.explain_stream_table('ranked')");
    assertThat(text)
        .contains(
            "Stream table: public.ranked",
            "Refresh mode: FULL (requested AUTO); DIFFERENTIAL is not possible: the query uses"
                + " window function",
            "public.orders (TABLE; columns amount, id)",
            "FROM public.orders",
            "WindowAgg",
            "(none: refreshed FULL)");
    assertThat(one("SELECT pgtrickle.explain_stream_table('totals')"))
        .contains("Refresh mode: DIFFERENTIAL (requested AUTO)", "written by the worker");
  }

  @Test
  void monitoringViewsHavePgTricklesColumnsAndCountTheWorkersHistory() throws Exception {
    assertThat(columns("pg_stat_pgtrickle"))
        .containsExactly(
            "pgt_id",
            "schema_name",
            "table_name",
            "total_refreshes",
            "total_full_refreshes",
            "total_diff_refreshes",
            "total_delta_rows_processed",
            "avg_refresh_duration_ms",
            "p95_refresh_duration_ms",
            "p99_refresh_duration_ms",
            "last_refresh_at",
            "current_lag_ms",
            "requested_refresh_mode",
            "target_freshness_mode",
            "target_freshness_ms",
            "last_full_reason",
            "last_full_reason_detail",
            "last_error",
            "last_error_at",
            "stats_reset_at",
            "p95_freshness_ms",
            "sla_status");
    assertThat(columns("pg_stat_stream_tables"))
        .containsExactly(
            "pgt_id",
            "pgt_schema",
            "pgt_name",
            "status",
            "refresh_mode",
            "is_populated",
            "data_timestamp",
            "schedule",
            "staleness",
            "stale",
            "consecutive_errors",
            "needs_reinit",
            "last_refresh_at",
            "total_refreshes",
            "successful_refreshes",
            "failed_refreshes",
            "total_rows_inserted",
            "total_rows_updated",
            "total_rows_deleted",
            "avg_duration_ms",
            "last_action",
            "last_status",
            "cdc_modes",
            "scc_id",
            "last_fixpoint_iterations",
            "refresh_tier");
    // Play the worker: three refreshes, one failed.
    exec(
        "INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, start_time, end_time, action,"
            + " rows_inserted, rows_deleted, delta_row_count, status, initiated_by,"
            + " refresh_reason) VALUES"
            + " (1, now() - interval '3 s', now() - interval '2900 ms', 'FULL', 5, 0, 5,"
            + " 'COMPLETED', 'INITIAL', 'initial population'),"
            + " (1, now() - interval '2 s', now() - interval '1980 ms', 'DIFFERENTIAL', 1, 1,"
            + " 2, 'COMPLETED', 'SCHEDULER', NULL),"
            + " (1, now() - interval '1 s', now() - interval '990 ms', 'DIFFERENTIAL', NULL,"
            + " NULL, NULL, 'FAILED', 'SCHEDULER', NULL)",
        "UPDATE pgtrickle.pgt_stream_tables SET last_refresh_at = now() - interval '10 s',"
            + " status = 'ACTIVE', is_populated = true,"
            + " stats_reset_at = now() - interval '1 minute'");
    assertThat(
            one(
                "SELECT concat_ws(' ', schema_name, table_name, total_refreshes,"
                    + " total_full_refreshes, total_diff_refreshes, total_delta_rows_processed,"
                    + " round(avg_refresh_duration_ms), current_lag_ms >= 10000,"
                    + " requested_refresh_mode, last_full_reason) FROM"
                    + " pgtrickle.pg_stat_pgtrickle"))
        .isEqualTo("public totals 2 1 1 7 60 t AUTO initial population");
    assertThat(
            one(
                "SELECT concat_ws(' ', pgt_name, status, total_refreshes, successful_refreshes,"
                    + " failed_refreshes, total_rows_inserted, total_rows_deleted, stale,"
                    + " last_action, last_status, cdc_modes::text) FROM"
                    + " pgtrickle.pg_stat_stream_tables"))
        .isEqualTo("totals ACTIVE 3 2 1 6 1 t DIFFERENTIAL FAILED {EXTERNAL}");
    exec("SELECT pgtrickle.stat_reset(1)");
    assertThat(one("SELECT total_refreshes FROM pgtrickle.pg_stat_pgtrickle")).isEqualTo("0");
    // Renames show in the views.
    exec("ALTER TABLE totals RENAME TO totals_by_category");
    assertThat(one("SELECT table_name FROM pgtrickle.pg_stat_pgtrickle"))
        .isEqualTo("totals_by_category");
  }

  private List<String> columns(String view) throws Exception {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM pgtrickle." + view + " LIMIT 0")) {
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        out.add(rs.getMetaData().getColumnName(i));
      }
    }
    return out;
  }
}
