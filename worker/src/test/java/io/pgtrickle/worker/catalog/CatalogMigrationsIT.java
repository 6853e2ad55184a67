package io.pgtrickle.worker.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.LoggerFactory;

/** Installing the catalog: the tables of CONTRACTS.md section 1, once, whoever starts first. */
class CatalogMigrationsIT {

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

  /** The versioned migrations (V*) of the catalog. */
  static int versions() throws Exception {
    return migrations("V[0-9_]+__.*\\.sql");
  }

  /** The newest version, as Flyway writes it ("2", or "1.1" for V1_1__...). */
  static String latestVersion() throws Exception {
    Path dir = Path.of("src/main/resources/db/migration");
    try (var files = Files.list(dir)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.matches("V[0-9_]+__.*\\.sql"))
          .map(n -> n.substring(1, n.indexOf("__")).replace('_', '.'))
          .max(
              (x, y) -> {
                String[] a = x.split("\\.");
                String[] b = y.split("\\.");
                for (int i = 0; i < Math.max(a.length, b.length); i++) {
                  int c =
                      Integer.compare(
                          i < a.length ? Integer.parseInt(a[i]) : 0,
                          i < b.length ? Integer.parseInt(b[i]) : 0);
                  if (c != 0) {
                    return c;
                  }
                }
                return 0;
              })
          .orElseThrow();
    }
  }

  /** What a first install runs: every versioned and repeatable (R__*) migration. */
  static int allMigrations() throws Exception {
    return migrations("(V[0-9_]+|R)__.*\\.sql");
  }

  private static int migrations(String pattern) throws Exception {
    Path dir = Path.of("src/main/resources/db/migration");
    try (var files = Files.list(dir)) {
      return (int) files.filter(f -> f.getFileName().toString().matches(pattern)).count();
    }
  }

  @Test
  void installsTheContractTablesAndASecondRunAppliesNothing() throws Exception {
    String d = db.createDatabase("install_once");
    CatalogMigrations.Result first = db.migrate(d);
    assertThat(first.previousVersion()).isNull();
    assertThat(first.migrationsApplied()).isEqualTo(allMigrations());
    assertThat(first.version()).isEqualTo(latestVersion());

    CatalogMigrations.Result again = db.migrate(d);
    assertThat(again.migrationsApplied()).isZero();
    assertThat(again.version()).isEqualTo(first.version());

    assertThat(columns(d, "pgt_stream_tables"))
        .contains(
            "pgt_id bigint",
            "pgt_relid regclass",
            "pgt_schema text",
            "pgt_name text",
            "defining_query text",
            "schedule text",
            "refresh_mode text",
            "requested_refresh_mode text",
            "status text",
            "is_populated boolean",
            "data_timestamp timestamp with time zone",
            "frontier jsonb",
            "last_refresh_at timestamp with time zone",
            "consecutive_errors integer",
            "last_error_message text",
            "created_at timestamp with time zone",
            "updated_at timestamp with time zone",
            "needs_reinit boolean",
            "refresh_reason text",
            "differential_blocker text",
            "cost_model jsonb");
    assertThat(columns(d, "pgt_dependencies"))
        .containsExactly(
            "pgt_id bigint", "source_relid regclass", "source_type text", "columns_used ARRAY");
    assertThat(columns(d, "pgt_refresh_history"))
        .contains(
            "refresh_id bigint",
            "pgt_id bigint",
            "data_timestamp timestamp with time zone",
            "start_time timestamp with time zone",
            "end_time timestamp with time zone",
            "action text",
            "rows_inserted bigint",
            "rows_deleted bigint",
            "delta_row_count bigint",
            "status text",
            "error_message text",
            "initiated_by text",
            "refresh_reason text",
            "frontier_before jsonb",
            "frontier_after jsonb");
    assertThat(columns(d, "pgt_change_tracking"))
        .startsWith(
            "source_relid regclass",
            "slot_name text",
            "captured_since_lsn pg_lsn",
            "ingested_lsn pg_lsn",
            "tracked_by_pgt_ids ARRAY");
    assertThat(db.one(d, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle_changes'"))
        .isEqualTo("1");
    // Primary keys of the contract.
    assertThat(
            db.column(
                d,
                "SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
                    + " WHERE contype IN ('p', 'u') AND connamespace = 'pgtrickle'::regnamespace"
                    + " ORDER BY 1"))
        .contains(
            "pgtrickle.pgt_change_tracking PRIMARY KEY (source_relid)",
            "pgtrickle.pgt_dependencies PRIMARY KEY (pgt_id, source_relid)",
            "pgtrickle.pgt_stream_tables PRIMARY KEY (pgt_id)",
            "pgtrickle.pgt_stream_tables UNIQUE (pgt_relid)");
  }

  private static List<String> columns(String d, String table) {
    return db.column(
        d,
        "SELECT column_name || ' ' || data_type FROM information_schema.columns"
            + " WHERE table_schema = 'pgtrickle' AND table_name = '"
            + table
            + "' ORDER BY ordinal_position");
  }

  @Test
  void concurrentStartsFromThreadsInstallOnce() throws Exception {
    String d = db.createDatabase("install_threads");
    int workers = 6;
    CyclicBarrier start = new CyclicBarrier(workers);
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      List<Future<CatalogMigrations.Result>> results = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return db.migrate(d);
                }));
      }
      int applied = 0;
      for (Future<CatalogMigrations.Result> r : results) {
        applied += r.get(5, TimeUnit.MINUTES).migrationsApplied();
      }
      assertThat(applied).isEqualTo(allMigrations());
    } finally {
      pool.shutdownNow();
    }
    assertInstalledOnce(d);
  }

  @Test
  void concurrentStartsFromProcessesInstallOnce() throws Exception {
    String d = db.createDatabase("install_processes");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> processes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      processes.add(
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  MigrateProcess.class.getName(),
                  db.url(d),
                  "postgres")
              .redirectErrorStream(true)
              .start());
    }
    int applied = 0;
    for (Process p : processes) {
      assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.exitValue()).as(out).isZero();
      applied += Integer.parseInt(out.replaceAll("(?s).*applied=(\\d+).*", "$1"));
    }
    assertThat(applied).isEqualTo(allMigrations());
    assertInstalledOnce(d);
  }

  /**
   * The catalog's migrations run in sessions without the database's time limits for applications:
   * under {@code statement_timeout = '1ms'} on the demo's database the worker never started. Each
   * connection Flyway gets drops them before Flyway's first statement (not through its {@code
   * initSql}, deprecated in Flyway 10). Checked on the connections Flyway is configured with: a
   * statement and an idle transaction longer than the limits live through them, where a plain
   * session of the same database is cancelled.
   */
  @Test
  void flywaysSessionsDropTheDatabasesTimeLimits() throws Exception {
    String d = db.createDatabase("install_limited");
    db.sql(
        d,
        "ALTER DATABASE " + d + " SET statement_timeout = '100ms'",
        "ALTER DATABASE " + d + " SET idle_in_transaction_session_timeout = '100ms'");
    try (Connection plain = db.connect(d);
        Statement s = plain.createStatement()) {
      assertThatThrownBy(() -> s.execute("SELECT pg_sleep(0.3)"))
          .as("a plain session of the database is limited")
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("statement timeout");
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(db.url(d));
    ds.setUser("postgres");
    DataSource flyways = CatalogMigrations.flyway(ds).getConfiguration().getDataSource();
    try (Connection c = flyways.getConnection();
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_sleep(0.3)");
      c.setAutoCommit(false);
      s.execute("SELECT 1");
      Thread.sleep(300);
      s.execute("SELECT 1");
      c.commit();
    }
    CatalogMigrations.Result r = CatalogMigrations.migrate(ds);
    assertThat(r.migrationsApplied()).isEqualTo(allMigrations());
  }

  /**
   * A fresh install logs no warning: Flyway logs each notice a migration raises as a WARN, and a
   * fresh install logged "schema "pgtrickle" already exists, skipping" at every first start.
   */
  @Test
  void aFreshInstallLogsNoWarning() throws Exception {
    String d = db.createDatabase("install_quiet");
    Logger flyway = (Logger) LoggerFactory.getLogger("org.flywaydb");
    Level configured = flyway.getLevel();
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    flyway.setLevel(Level.INFO); // as the worker logs it (logback-test.xml says WARN)
    flyway.addAppender(events);
    try {
      assertThat(db.migrate(d).migrationsApplied()).isEqualTo(allMigrations());
    } finally {
      flyway.detachAppender(events);
      flyway.setLevel(configured);
    }
    assertThat(events.list).as("Flyway logged").isNotEmpty();
    assertThat(events.list)
        .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .extracting(ILoggingEvent::getFormattedMessage)
        .isEmpty();
  }

  private static void assertInstalledOnce(String d) throws Exception {
    assertThat(
            db.one(
                d,
                "SELECT count(*) FROM pgtrickle.flyway_schema_history"
                    + " WHERE version IS NOT NULL AND success"))
        .isEqualTo(String.valueOf(versions()));
    assertThat(
            db.one(
                d,
                "SELECT count(*) FROM pgtrickle.flyway_schema_history"
                    + " GROUP BY coalesce(version, description) HAVING count(*) > 1"))
        .isNull();
  }
}
