package io.pgtrickle.worker.catalog;

import static io.pgtrickle.worker.catalog.SqlErrors.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** create_stream_table and its variants: what they register, and what they refuse. */
class StreamTableCreateIT {

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
        "CREATE TABLE orders (id int PRIMARY KEY, category varchar(20), amount numeric(10,2),"
            + " created timestamptz)",
        "CREATE TABLE customers (id int PRIMARY KEY, name text)",
        "CREATE TABLE events (payload text)");
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

  @Test
  void createRegistersAnInitializingTableWithTheQuerysExactColumns() throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table('order_totals', 'SELECT category, sum(amount) AS"
            + " total, count(*) AS n FROM orders GROUP BY category', '5s', 'differential')");
    assertThat(
            db.column(
                d,
                "SELECT pgt_relid::text || '|' || pgt_schema || '|' || pgt_name || '|' ||"
                    + " schedule || '|' || refresh_mode || '|' || requested_refresh_mode || '|'"
                    + " || status || '|' || is_populated || '|' || initialize || '|' ||"
                    + " (frontier IS NULL) || '|' || coalesce(differential_blocker, '-')"
                    + " FROM pgtrickle.pgt_stream_tables"))
        .containsExactly(
            "order_totals|public|order_totals|5s|DIFFERENTIAL|DIFFERENTIAL|INITIALIZING|false|true"
                + "|true|-");
    // Exact column types, no rows: the worker populates it.
    assertThat(
            db.column(
                d,
                "SELECT attname || ' ' || format_type(atttypid, atttypmod) FROM pg_attribute"
                    + " WHERE attrelid = 'order_totals'::regclass AND attnum > 0 ORDER BY attnum"))
        .containsExactly("category character varying(20)", "total numeric", "n bigint");
    assertThat(one("SELECT count(*) FROM order_totals")).isEqualTo("0");
    // The stored query is PostgreSQL's deparse, schema-qualified: it runs whatever the path.
    String query = one("SELECT defining_query FROM pgtrickle.pgt_stream_tables");
    assertThat(query).contains("public.orders");
    exec("INSERT INTO orders VALUES (1, 'a', 2.50, now()), (2, 'a', 1.00, now())");
    exec("SET search_path = ''");
    assertThat(db.one(d, "SELECT count(*) FROM (" + query + ") q WHERE total = 3.50 AND n = 2"))
        .isEqualTo("1");
    assertThat(
            one(
                "SELECT source_relid::text || ' ' || source_type || ' ' || columns_used::text"
                    + " FROM pgtrickle.pgt_dependencies"))
        .isEqualTo("orders TABLE {amount,category}");
    assertThat(
            one(
                "SELECT source_relid::text || ' ' || tracked_by_pgt_ids::text || ' ' ||"
                    + " (slot_name IS NULL) FROM pgtrickle.pgt_change_tracking"))
        .isEqualTo("orders {1} true");
    assertThat(one("SELECT relreplident::text FROM pg_class WHERE oid = 'orders'::regclass"))
        .isEqualTo("f");
  }

  @Test
  void autoRecordsTheConstructThatPreventsDifferentialAndExplicitDifferentialIsRefused()
      throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table('ranked', 'SELECT id, rank() OVER (ORDER BY"
            + " amount) AS r FROM orders')");
    assertThat(
            one(
                "SELECT refresh_mode || ' ' || requested_refresh_mode || ' ' ||"
                    + " differential_blocker FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("FULL AUTO window function");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('ranked2', 'SELECT id, rank() OVER (ORDER BY"
            + " amount) AS r FROM orders', refresh_mode => 'DIFFERENTIAL')",
        "0A000",
        "DIFFERENTIAL is not possible",
        "window function");
    assertThat(one("SELECT to_regclass('ranked2')")).isNull();
    exec(
        "SELECT pgtrickle.create_stream_table('full_one', 'SELECT * FROM orders',"
            + " refresh_mode => 'Full')");
    assertThat(
            one(
                "SELECT refresh_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name ="
                    + " 'full_one'"))
        .isEqualTo("FULL");
  }

  @Test
  void refusesNonDeterministicQueriesNamingTheFunction() throws Exception {
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id, now() AS t FROM orders')",
        "42P17",
        "now()",
        "STABLE");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id FROM orders WHERE random() <"
            + " 0.5')",
        "42P17",
        "random()",
        "VOLATILE");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id, clock_timestamp() AS t FROM"
            + " orders')",
        "42P17",
        "clock_timestamp()");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id, current_date AS t FROM"
            + " orders')",
        "42P17",
        "CURRENT_DATE");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id, created::text AS t FROM"
            + " orders')",
        "42P17",
        "cast from timestamp with time zone");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id FROM orders WHERE created >"
            + " now() - interval ''1 day''')",
        "42P17",
        "now()");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id FROM orders TABLESAMPLE"
            + " BERNOULLI (10)')",
        "42P17",
        "TABLESAMPLE");
    // A user function is judged by its declared volatility.
    exec("CREATE FUNCTION pick() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1'");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id, pick() AS p FROM orders')",
        "42P17",
        "pick()");
    // The immutable spelling of a time zone dependent expression is accepted.
    exec(
        "SELECT pgtrickle.create_stream_table('hourly', 'SELECT date_trunc(''hour'', created"
            + " AT TIME ZONE ''UTC'') AS h, count(*) AS n FROM orders GROUP BY 1')");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("1");
  }

  @Test
  void refusesInvalidQueriesWithPostgresqlsOwnErrors() throws Exception {
    var m =
        assertFails(
            c,
            "SELECT pgtrickle.create_stream_table('x', 'SELECT idd FROM orders')",
            "42703",
            "idd");
    assertThat(m.getInternalPosition()).isEqualTo(8);
    assertThat(m.getInternalQuery()).isEqualTo("SELECT idd FROM orders");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT * FROM nowhere')",
        "42P01",
        "nowhere");
    assertFails(c, "SELECT pgtrickle.create_stream_table('x', 'SELEC 1')", "42601", "SELEC");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id FROM orders; DROP TABLE"
            + " orders')",
        "42601",
        "one SELECT statement");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'INSERT INTO customers VALUES (9, ''x'')"
            + " RETURNING id')",
        "42601",
        "one SELECT statement");
    assertThat(one("SELECT count(*) FROM customers")).isEqualTo("0");
    assertFails(
        c, "SELECT pgtrickle.create_stream_table('x', 'SELECT id, id FROM orders')", "42701", "id");
    // Two entries without a name: PostgreSQL names both "?column?"; the storage cannot have that.
    var dup =
        assertFails(
            c,
            "SELECT pgtrickle.create_stream_table('x', 'SELECT 1, 2 FROM orders')",
            "42701",
            "the columns of a stream table need distinct names: column \"?column?\"");
    assertThat(dup.getHint()).contains("with AS");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id AS __pgt_row_id FROM" + " orders')",
        "42939",
        "__pgt_row_id");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT 1 AS one')",
        "0A000",
        "at least one table");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id FROM orders FOR UPDATE')",
        "0A000",
        "FOR UPDATE");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT relname FROM pg_class')",
        "0A000",
        "system catalog");
    exec("CREATE UNLOGGED TABLE scratch (a int)");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT a FROM scratch')",
        "0A000",
        "unlogged");
    exec("CREATE MATERIALIZED VIEW mv AS SELECT id FROM orders");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id FROM mv')",
        "0A000",
        "materialized view");
    exec("CREATE TEMP TABLE tmp (a int)");
    assertFails(
        c, "SELECT pgtrickle.create_stream_table('x', 'SELECT a FROM tmp')", "0A000", "temporary");
    exec("ALTER TABLE customers ENABLE ROW LEVEL SECURITY");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', 'SELECT id FROM customers')",
        "0A000",
        "row-level security");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("0");
    assertThat(one("SELECT to_regclass('x')")).isNull();
  }

  @Test
  void refusesBadOptionsNamingThem() throws Exception {
    String q = "'SELECT id FROM orders'";
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', " + q + ", '5 parsecs')",
        "22023",
        "5 parsecs");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', " + q + ", '0s')",
        "22023",
        "min_schedule_seconds");
    assertFails(
        c, "SELECT pgtrickle.create_stream_table('x', " + q + ", '61 * * * *')", "22023", "minute");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', " + q + ", '* * *')",
        "22023",
        "invalid schedule");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', " + q + ", '5s', 'fast')",
        "22023",
        "refresh_mode",
        "AUTO, FULL or DIFFERENTIAL");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', " + q + ", '5s', 'immediate')",
        "0A000",
        "IMMEDIATE");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', " + q + ", cdc_mode => 'trigger')",
        "0A000",
        "trigger");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', " + q + ", cdc_mode => 'carrier')",
        "22023",
        "cdc_mode");
    for (String arg :
        List.of(
            "diamond_consistency => 'atomic'",
            "diamond_schedule_policy => 'fastest'",
            "append_only => true",
            "partition_by => 'id'",
            "max_differential_joins => 2",
            "max_delta_fraction => 0.5",
            "output_distribution_column => 'id'",
            "temporal => true",
            "storage_backend => 'heap'",
            "target_freshness => '5s'",
            "orchestration_mode => 'EXTERNAL'")) {
      assertFails(
          c,
          "SELECT pgtrickle.create_stream_table('x', " + q + ", " + arg + ")",
          "0A000",
          "argument " + arg.substring(0, arg.indexOf(' ')) + " is not supported");
    }
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('x', " + q + ", fillfactor => 5)",
        "22023",
        "fillfactor");
    assertFails(c, "SELECT pgtrickle.create_stream_table('a.b.c', " + q + ")", "42601", "a.b.c");
    assertFails(c, "SELECT pgtrickle.create_stream_table('nope.x', " + q + ")", "3F000", "nope");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("0");
    // Accepted spellings, and what is stored.
    exec(
        "SELECT pgtrickle.create_stream_table('s1', " + q + ", '1H 30m')",
        "SELECT pgtrickle.create_stream_table('s2', " + q + ", '*/10 * * * * *')",
        "SELECT pgtrickle.create_stream_table('s3', " + q + ", '0 6 * * mon-fri')",
        "SELECT pgtrickle.create_stream_table('s4', " + q + ", '@Hourly')",
        "SELECT pgtrickle.create_stream_table('s5', "
            + q
            + ", 'calculated', 'auto', false,"
            + " cdc_mode => 'external', pooler_compatibility_mode => true, fillfactor => 70,"
            + " orchestration_mode => 'managed')");
    assertThat(
            db.column(
                d,
                "SELECT pgt_name || ' ' || coalesce(schedule, 'NULL') || ' ' || initialize"
                    + " FROM pgtrickle.pgt_stream_tables ORDER BY pgt_name"))
        .containsExactly(
            "s1 1h30m true",
            "s2 */10 * * * * * true",
            "s3 0 6 * * MON-FRI true",
            "s4 @hourly true",
            "s5 NULL false");
    assertThat(one("SELECT reloptions::text FROM pg_class WHERE oid = 's5'::regclass"))
        .isEqualTo("{fillfactor=70}");
  }

  @Test
  void existingNamesAndTheIfNotExistsAndOrReplaceVariants() throws Exception {
    String q = "'SELECT id, category FROM orders'";
    exec("SELECT pgtrickle.create_stream_table('st', " + q + ", '5s')");
    assertFails(c, "SELECT pgtrickle.create_stream_table('st', " + q + ")", "42P07", "st");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table('customers', " + q + ")",
        "42P07",
        "customers",
        "not a stream table");
    exec("SELECT pgtrickle.create_stream_table_if_not_exists('st', 'SELECT id FROM orders')");
    assertThat(one("SELECT defining_query LIKE '%category%' FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("t");
    // create_or_replace: creates when missing...
    exec("SELECT pgtrickle.create_or_replace_stream_table('st2', " + q + ", '10s')");
    assertThat(one("SELECT schedule FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'st2'"))
        .isEqualTo("10s");
    // ... keeps the data when only options change ...
    exec("UPDATE pgtrickle.pgt_stream_tables SET is_populated = true, status = 'ACTIVE'");
    exec("SELECT pgtrickle.create_or_replace_stream_table('st2', " + q + ", '20s')");
    assertThat(
            one(
                "SELECT schedule || ' ' || is_populated || ' ' || status FROM"
                    + " pgtrickle.pgt_stream_tables WHERE pgt_name = 'st2'"))
        .isEqualTo("20s true ACTIVE");
    // ... and replaces the query (new columns, repopulated) when it changes.
    exec(
        "SELECT pgtrickle.create_or_replace_stream_table('st2', 'SELECT id, amount FROM"
            + " orders', '20s')");
    assertThat(
            one(
                "SELECT is_populated || ' ' || status || ' ' || needs_reinit FROM"
                    + " pgtrickle.pgt_stream_tables WHERE pgt_name = 'st2'"))
        .isEqualTo("false INITIALIZING true");
    assertThat(
            db.column(
                d,
                "SELECT attname FROM pg_attribute WHERE attrelid = 'st2'::regclass AND attnum >"
                    + " 0 AND NOT attisdropped ORDER BY attnum"))
        .containsExactly("id", "amount");
    assertThat(
            one(
                "SELECT columns_used::text FROM pgtrickle.pgt_dependencies d JOIN"
                    + " pgtrickle.pgt_stream_tables s USING (pgt_id) WHERE pgt_name = 'st2'"))
        .isEqualTo("{amount,id}");
  }

  @Test
  void namesResolveWithTheCallersSearchPathAndViewsAreExpandedToTheirTables() throws Exception {
    exec(
        "CREATE SCHEMA sales",
        "CREATE TABLE sales.items (id int, price numeric)",
        "CREATE VIEW sales.cheap AS SELECT id, price FROM sales.items WHERE price < 10",
        "SET search_path = sales, public",
        "SELECT pgtrickle.create_stream_table('cheap_count', 'SELECT count(*) AS n FROM"
            + " cheap')",
        "RESET search_path");
    assertThat(one("SELECT pgt_relid::text FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("sales.cheap_count");
    assertThat(
            db.column(
                d,
                "SELECT source_relid::text || ' ' || source_type FROM pgtrickle.pgt_dependencies"
                    + " ORDER BY 1"))
        .containsExactly("sales.cheap VIEW", "sales.items TABLE");
    assertThat(one("SELECT differential_blocker FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("view source");
    assertThat(one("SELECT source_relid::text FROM pgtrickle.pgt_change_tracking"))
        .isEqualTo("sales.items");
    assertThat(one("SELECT defining_query FROM pgtrickle.pgt_stream_tables"))
        .contains("sales.cheap");
  }

  @Test
  void presetsSetScheduleAndMode() throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table_realtime('rt', 'SELECT id FROM orders')",
        "SELECT pgtrickle.create_stream_table_batch('b', 'SELECT id FROM orders')",
        "SELECT pgtrickle.create_stream_table_cost_optimized('co', 'SELECT id FROM orders')");
    assertThat(
            db.column(
                d,
                "SELECT pgt_name || ' ' || schedule || ' ' || requested_refresh_mode FROM"
                    + " pgtrickle.pgt_stream_tables ORDER BY pgt_id"))
        .containsExactly("rt 1s DIFFERENTIAL", "b 5m AUTO", "co 15m AUTO");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table_realtime('rt2', 'SELECT id FROM orders LIMIT"
            + " 5')",
        "0A000",
        "LIMIT");
    assertFails(
        c,
        "SELECT pgtrickle.create_stream_table_batch('b2', 'SELECT id FROM orders',"
            + " append_only => true)",
        "0A000",
        "append_only");
  }

  @Test
  void keylessTablesAndJoinsAreTrackedPerSource() throws Exception {
    exec(
        "SELECT pgtrickle.create_stream_table('joined', 'SELECT o.id, c.name FROM orders o"
            + " JOIN customers c ON c.id = o.id')",
        "SELECT pgtrickle.create_stream_table('payloads', 'SELECT payload, count(*) AS n FROM"
            + " events GROUP BY payload')");
    assertThat(
            db.column(
                d,
                "SELECT source_relid::text || ' ' || tracked_by_pgt_ids::text FROM"
                    + " pgtrickle.pgt_change_tracking ORDER BY 1"))
        .containsExactly("customers {1}", "events {2}", "orders {1}");
    assertThat(
            db.column(
                d,
                "SELECT relname || ' ' || relreplident::text FROM pg_class WHERE relname IN"
                    + " ('orders', 'customers', 'events') ORDER BY 1"))
        .containsExactly("customers f", "events f", "orders f");
    assertThat(
            db.column(
                d,
                "SELECT coalesce(differential_blocker, 'DIFFERENTIAL') FROM"
                    + " pgtrickle.pgt_stream_tables ORDER BY pgt_id"))
        .containsExactly("DIFFERENTIAL", "DIFFERENTIAL");
  }
}
