package io.pgtrickle.worker.catalog;

import static io.pgtrickle.worker.catalog.SqlErrors.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

/** exec_stream_ddl: every statement form of seed 000 LT-6, good and bad. */
class ExecStreamDdlIT {

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
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE orders (id int PRIMARY KEY, category text, amount numeric, note text)");
    }
  }

  @AfterEach
  void close() throws Exception {
    c.close();
  }

  /** exec_stream_ddl(cmd) with cmd bound as a parameter: what a client sends. */
  private boolean ddl(String cmd) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT pgtrickle.exec_stream_ddl(?)")) {
      p.setString(1, cmd);
      try (ResultSet rs = p.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** The error of exec_stream_ddl(cmd), asserting its SQLSTATE and message fragments. */
  private ServerErrorMessage ddlFails(String cmd, String state, String... fragments) {
    return assertFails(
        c, "SELECT pgtrickle.exec_stream_ddl($ddl$" + cmd + "$ddl$)", state, fragments);
  }

  private String one(String sql) {
    return db.one(d, sql);
  }

  private String st(String name) {
    return one(
        "SELECT coalesce(schedule, 'calculated') || ' ' || refresh_mode || ' ' ||"
            + " requested_refresh_mode || ' ' || coalesce(requested_cdc_mode, '-') FROM"
            + " pgtrickle.pgt_stream_tables WHERE pgt_name = '"
            + name
            + "'");
  }

  @Test
  void everyExampleOfSeed000Lt6Works() throws Exception {
    // The seed's examples, with "SELECT ..." written out.
    assertThat(
            ddl(
                "CREATE STREAM TABLE my_aggregates AS\n"
                    + "SELECT category, SUM(amount) as total FROM orders GROUP BY category\n"
                    + "WITH (schedule = '5s', refresh_mode = 'differential');"))
        .isTrue();
    assertThat(st("my_aggregates")).isEqualTo("5s DIFFERENTIAL DIFFERENTIAL -");
    assertThat(
            ddl(
                "CREATE STREAM TABLE IF NOT EXISTS realtime_dashboard AS SELECT category,"
                    + " count(*) AS n FROM orders GROUP BY category WITH (\n"
                    + "    schedule = '1s',\n"
                    + "    refresh_mode = 'auto',\n"
                    + "    preset = 'real-time',\n"
                    + "    cdc_mode = 'external'\n"
                    + ");"))
        .isTrue();
    // Explicit options win over the preset's.
    assertThat(st("realtime_dashboard")).isEqualTo("1s DIFFERENTIAL AUTO external");
    assertThat(ddl("ALTER STREAM TABLE my_aggregates SET (schedule = '10s');")).isTrue();
    assertThat(st("my_aggregates")).isEqualTo("10s DIFFERENTIAL DIFFERENTIAL -");
    assertThat(
            ddl(
                "ALTER STREAM TABLE my_aggregates SET QUERY AS SELECT category, SUM(amount) as"
                    + " total, max(amount) AS biggest FROM orders GROUP BY category;"))
        .isTrue();
    assertThat(
            one(
                "SELECT defining_query LIKE '%max(%amount) AS biggest%' FROM"
                    + " pgtrickle.pgt_stream_tables WHERE pgt_name = 'my_aggregates'"))
        .isEqualTo("t");
    assertThat(ddl("DROP STREAM TABLE my_aggregates;")).isTrue();
    assertThat(ddl("DROP STREAM TABLE IF EXISTS my_aggregates CASCADE;")).isFalse();
    assertThat(ddl("DROP STREAM TABLE IF EXISTS realtime_dashboard CASCADE;")).isTrue();
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("0");
  }

  @Test
  void theOtherFormsAndSpellings() throws Exception {
    // Options before AS, as in CREATE TABLE ... WITH (...) AS; keywords in any case; quoted
    // and schema-qualified names; comments.
    assertThat(
            ddl(
                "create stream table public.\"Big Orders\" with (schedule = '1h30m',"
                    + " initialize = false, fillfactor = 80) as /* big */ select id, amount from"
                    + " orders -- only big ones\n where amount > 100"))
        .isTrue();
    assertThat(
            one(
                "SELECT pgt_name || ' ' || schedule || ' ' || initialize FROM"
                    + " pgtrickle.pgt_stream_tables"))
        .isEqualTo("Big Orders 1h30m false");
    // String literals, quoted identifiers and dollar quotes may hold WITH (, AS, ; and quotes.
    assertThat(
            ddl(
                "CREATE STREAM TABLE tricky AS SELECT id, 'x WITH (a = 1); AS' AS \"with (\","
                    + " $q$ it's; WITH (b = 2) $q$ AS dq, E'\\' WITH (' AS e FROM orders"
                    + " WHERE note <> ';' WITH (schedule = 'calculated')"))
        .isTrue();
    assertThat(
            one(
                "SELECT defining_query FROM pgtrickle.pgt_stream_tables WHERE pgt_name ="
                    + " 'tricky'"))
        .contains("x WITH (a = 1); AS", "it''s; WITH (b = 2)", "' WITH (");
    // OR REPLACE creates, then replaces.
    assertThat(ddl("CREATE OR REPLACE STREAM TABLE r AS SELECT id FROM orders")).isTrue();
    assertThat(
            ddl(
                "CREATE OR REPLACE STREAM TABLE r AS SELECT id, category FROM orders WITH"
                    + " (preset = 'batch')"))
        .isTrue();
    assertThat(st("r")).isEqualTo("5m DIFFERENTIAL AUTO -");
    // IF NOT EXISTS keeps an existing one.
    assertThat(ddl("CREATE STREAM TABLE IF NOT EXISTS r AS SELECT 1 AS one FROM orders")).isFalse();
    // ALTER ... SET QUERY with options after it, without AS; RESTRICT; a preset in ALTER.
    assertThat(
            ddl(
                "ALTER STREAM TABLE r SET QUERY SELECT id FROM orders WITH (refresh_mode ="
                    + " 'full')"))
        .isTrue();
    assertThat(st("r")).isEqualTo("5m FULL FULL -");
    assertThat(ddl("ALTER STREAM TABLE r SET (preset = 'cost-optimized', status = 'suspended')"))
        .isTrue();
    assertThat(
            one(
                "SELECT schedule || ' ' || status FROM pgtrickle.pgt_stream_tables WHERE"
                    + " pgt_name = 'r'"))
        .isEqualTo("15m SUSPENDED");
    assertThat(ddl("DROP STREAM TABLE r RESTRICT")).isTrue();
    assertThat(ddl("drop stream table \"Big Orders\"")).isTrue();
  }

  @Test
  void syntaxErrorsAre42601WithThePositionInTheStatement() throws Exception {
    String cmd = "CREATE STREAM TABL x AS SELECT 1";
    ServerErrorMessage m = ddlFails(cmd, "42601", "syntax error at or near \"TABL\"");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.indexOf("TABL") + 1);
    cmd = "CREATE TABLE x AS SELECT id FROM orders";
    m = ddlFails(cmd, "42601", "syntax error at or near \"TABLE\"");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.indexOf("TABLE") + 1);
    cmd = "CREATE STREAM TABLE x SELECT id FROM orders";
    m = ddlFails(cmd, "42601", "\"SELECT\"");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.indexOf("SELECT") + 1);
    // In the query: PostgreSQL's error, at the query's place in the statement.
    cmd = "CREATE STREAM TABLE x AS SELECT id,, amount FROM orders WITH (schedule = '5s')";
    m = ddlFails(cmd, "42601", "syntax error at or near \",\"");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.indexOf(",,") + 2);
    cmd = "CREATE STREAM TABLE x AS";
    m = ddlFails(cmd, "42601", "end of input");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.length() + 1);
    cmd = "DROP STREAM TABLE x y";
    m = ddlFails(cmd, "42601", "\"y\"");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.length());
    cmd = "ALTER STREAM TABLE x SET schedule = '5s'";
    m = ddlFails(cmd, "42601", "\"schedule\"");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.indexOf("schedule") + 1);
    cmd = "ALTER STREAM TABLE x SET (schedule '5s')";
    m = ddlFails(cmd, "42601", "'5s'");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.indexOf("'5s'") + 1);
    cmd = "CREATE STREAM TABLE x AS SELECT 'open FROM orders";
    m = ddlFails(cmd, "42601", "unterminated quoted string");
    assertThat(m.getInternalPosition()).isEqualTo(cmd.indexOf("'open") + 1);
    ddlFails("CREATE STREAM TABLE x AS SELECT id FROM orders; DROP TABLE orders", "42601", "\";\"");
    ddlFails("SELECT 1", "42601", "SELECT");
    ddlFails(
        "CREATE OR REPLACE STREAM TABLE IF NOT EXISTS x AS SELECT id FROM orders",
        "42601",
        "\"IF\"");
    ddlFails(
        "CREATE STREAM TABLE x WITH (schedule = '5s') AS SELECT id FROM orders WITH"
            + " (refresh_mode = 'full')",
        "42601",
        "both before and after");
    ddlFails(
        "ALTER STREAM TABLE x SET (schedule = '5s', schedule = '6s')", "42601", "more than once");
    ddlFails("", "42601", "needs a statement");
    assertThat(one("SELECT count(*) FROM orders")).isEqualTo("0");
    assertThat(one("SELECT to_regclass('orders')")).isEqualTo("orders");
  }

  @Test
  void duplicateUnknownAndUnsupported() throws Exception {
    ddl("CREATE STREAM TABLE s AS SELECT id FROM orders");
    ddlFails("CREATE STREAM TABLE s AS SELECT id FROM orders", "42P07", "\"s\" already exists");
    ddlFails("CREATE STREAM TABLE orders AS SELECT id FROM orders", "42P07", "orders");
    ddlFails("DROP STREAM TABLE nope", "42P01", "\"nope\" does not exist");
    ddlFails("ALTER STREAM TABLE nope SET (schedule = '5s')", "42P01", "nope");
    ddlFails("ALTER STREAM TABLE nope SET QUERY AS SELECT id FROM orders", "42P01", "nope");
    ddlFails("DROP STREAM TABLE orders", "42809", "not a stream table");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id FROM orders WITH (colour = 'red')",
        "22023",
        "unrecognized stream table option \"colour\"");
    ddlFails("ALTER STREAM TABLE s SET (initialize = true)", "22023", "\"initialize\"");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id FROM orders WITH (preset = 'turbo')",
        "22023",
        "preset");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id FROM orders WITH (schedule = 'often')",
        "22023",
        "often");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id FROM orders WITH (refresh_mode = 'eager')",
        "22023",
        "refresh_mode");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id FROM orders WITH (initialize = 'maybe')",
        "22023",
        "initialize");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id FROM orders WITH (append_only = true)",
        "0A000",
        "append_only");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id FROM orders WITH (refresh_mode = 'immediate')",
        "0A000",
        "IMMEDIATE");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id FROM orders WITH (cdc_mode = 'trigger')",
        "0A000",
        "trigger");
    ddlFails(
        "CREATE STREAM TABLE t AS SELECT id, count(*) OVER () AS n FROM orders WITH"
            + " (refresh_mode = 'differential')",
        "0A000",
        "window function");
    ddlFails("CREATE STREAM TABLE t AS SELECT idd FROM orders", "42703", "idd");
    assertThat(one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("1");
  }

  @Test
  void refreshStatementAsksTheWorkers() throws Exception {
    ddl("CREATE STREAM TABLE s AS SELECT id FROM orders WITH (schedule = '1m')");
    ddl("ALTER STREAM TABLE s SET (status = 'SUSPENDED')");
    ddlFails("REFRESH STREAM TABLE s", "55000", "paused");
    ddlFails("REFRESH STREAM TABLE nope", "42P01", "nope");
  }
}
