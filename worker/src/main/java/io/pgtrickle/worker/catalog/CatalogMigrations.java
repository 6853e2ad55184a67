package io.pgtrickle.worker.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Installs and upgrades the {@code pgtrickle} schema (catalog tables, SQL API functions, views) in
 * the target database with Flyway's versioned migrations in {@code db/migration}. The worker calls
 * {@link #migrate} once at start.
 *
 * <p>Several workers may start at once: each holds a session-level PostgreSQL advisory lock ({@link
 * #INSTALL_LOCK_KEY}) on a connection of its own for the whole run, so exactly one installs and the
 * others then find nothing pending (Flyway's own advisory lock is taken inside as well). The lock
 * goes with the connection, so a worker killed mid-way never leaves it held; Flyway runs each
 * migration in one transaction, so a killed run leaves no half-applied version.
 *
 * <p>Errors: {@link CatalogMigrationException} with the cause (connection refused, lock wait over
 * {@code lockTimeout}, a migration failing, or a database with a newer catalog than this worker).
 */
public final class CatalogMigrations {

  /** The schema of the catalog and of Flyway's history table. */
  public static final String SCHEMA = "pgtrickle";

  /** Flyway's history table, {@code pgtrickle.flyway_schema_history}. */
  public static final String HISTORY_TABLE = "flyway_schema_history";

  /** The advisory lock key (two int4 halves: 'pgtr', 'ckle') serializing concurrent installs. */
  public static final long INSTALL_LOCK_KEY = 0x7067_7472_636b_6c65L;

  /** How long a starting worker waits for another one's install, by default. */
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMinutes(5);

  private CatalogMigrations() {}

  /**
   * The outcome of a run.
   *
   * @param previousVersion the schema version before the run ({@code null}: not installed)
   * @param version the schema version after the run
   * @param migrationsApplied how many versions this run applied (0 when up to date)
   */
  public record Result(String previousVersion, String version, int migrationsApplied) {}

  /**
   * Installs or upgrades the catalog through a JDBC URL.
   *
   * @param url {@code jdbc:postgresql://host:port/db}
   * @param user the database user (owner of the catalog afterwards)
   * @param password its password, or {@code null}
   */
  public static Result migrate(String url, String user, String password) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    if (user != null) {
      ds.setUser(user);
    }
    if (password != null) {
      ds.setPassword(password);
    }
    return migrate(ds, DEFAULT_LOCK_TIMEOUT);
  }

  /** Installs or upgrades the catalog, waiting at most {@link #DEFAULT_LOCK_TIMEOUT}. */
  public static Result migrate(DataSource dataSource) {
    return migrate(dataSource, DEFAULT_LOCK_TIMEOUT);
  }

  /**
   * Installs or upgrades the catalog.
   *
   * @param dataSource connections to the target database
   * @param lockTimeout how long to wait for another worker's install
   */
  public static Result migrate(DataSource dataSource, Duration lockTimeout) {
    DataSource sessions = new CatalogSessions(dataSource);
    // The wait for another worker's install is bounded by lock_timeout below, not by the
    // database's limits for applications (SessionLimits), which Flyway's sessions drop too.
    try (Connection lock = sessions.getConnection()) {
      lock.setAutoCommit(true);
      try (Statement s = lock.createStatement()) {
        s.execute("SET lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
      }
      try (PreparedStatement s = lock.prepareStatement("SELECT pg_advisory_lock(?)")) {
        s.setLong(1, INSTALL_LOCK_KEY);
        s.execute();
      }
      try {
        Flyway flyway = flyway(sessions);
        MigrateResult r = flyway.migrate();
        MigrationInfo current = flyway.info().current();
        String version = current == null ? null : current.getVersion().getVersion();
        return new Result(r.initialSchemaVersion, version, r.migrationsExecuted);
      } finally {
        try (PreparedStatement s = lock.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          s.setLong(1, INSTALL_LOCK_KEY);
          s.execute();
        }
      }
    } catch (SQLException e) {
      throw new CatalogMigrationException(
          "cannot install the pgtrickle catalog: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new CatalogMigrationException(
          "cannot install the pgtrickle catalog: " + e.getMessage(), e);
    }
  }

  /**
   * Flyway, configured for the catalog: one place, so tests inspect what the worker runs. Its
   * connections come without the database's time limits for applications ({@link CatalogSessions}):
   * a database that limits application sessions ({@code statement_timeout} of 1 ms on the demo's
   * database) cancelled Flyway's statements, and the worker never started.
   */
  static Flyway flyway(DataSource dataSource) {
    DataSource sessions =
        dataSource instanceof CatalogSessions ? dataSource : new CatalogSessions(dataSource);
    return Flyway.configure()
        .dataSource(sessions)
        .schemas(SCHEMA)
        .defaultSchema(SCHEMA)
        .createSchemas(true)
        .table(HISTORY_TABLE)
        .locations("classpath:db/migration")
        // PL/pgSQL bodies are SQL, not templates.
        .placeholderReplacement(false)
        .validateMigrationNaming(true)
        .cleanDisabled(true)
        .load();
  }
}
