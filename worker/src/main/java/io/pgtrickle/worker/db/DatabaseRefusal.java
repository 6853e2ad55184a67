package io.pgtrickle.worker.db;

import java.sql.SQLException;
import java.util.Optional;

/**
 * Errors of the worker's database that retrying will not change, with the setting or privilege to
 * fix: wrong password ({@code 28P01}), no {@code pg_hba.conf} entry or no such role ({@code
 * 28000}), no such database ({@code 3D000}), a missing privilege on the catalog ({@code 42501}).
 * Everything else (connection refused, {@code 57P01} admin shutdown, a failover, too many
 * connections) is transient and is retried. Messages never carry the password.
 */
public final class DatabaseRefusal {

  private DatabaseRefusal() {}

  /**
   * What to fix, when {@code failure} (or one of its causes) is a permanent refusal.
   *
   * @param failure what a connection or the catalog install threw
   * @param user the {@code --database-user}
   * @param database the database of {@code --database-url}
   * @return one line naming the setting or privilege and the statement that fixes it; empty when
   *     the failure is transient
   */
  public static Optional<String> fix(Throwable failure, String user, String database) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException e && e.getSQLState() != null) {
        Optional<String> fix = fix(e, user, database);
        if (fix.isPresent()) {
          return fix;
        }
      }
    }
    return Optional.empty();
  }

  /**
   * A failed connection attempt, with what to fix in its message when the refusal is permanent.
   *
   * @param e what the driver threw
   * @param user the {@code --database-user}
   * @param database the database of {@code --database-url}
   * @return {@code e} when transient; else an exception with the same SQLSTATE whose message names
   *     the setting or privilege and the fix (42501 here is the {@code CONNECT} privilege)
   */
  public static SQLException onConnect(SQLException e, String user, String database) {
    Optional<String> fix =
        "42501".equals(e.getSQLState())
            ? Optional.of(
                "PGTRICKLE_DATABASE_USER (--database-user): user "
                    + user
                    + " may not connect to database "
                    + database
                    + " (the database says: "
                    + e.getMessage()
                    + "); GRANT CONNECT ON DATABASE "
                    + ident(database)
                    + " TO "
                    + ident(user))
            : e.getSQLState() == null ? Optional.empty() : fix(e, user, database);
    return fix.isPresent() ? new SQLException(fix.get(), e.getSQLState(), e) : e;
  }

  private static Optional<String> fix(SQLException e, String user, String database) {
    String said = " (the database says: " + e.getMessage() + ")";
    return Optional.ofNullable(
        switch (e.getSQLState()) {
          case "28P01" ->
              "PGTRICKLE_DATABASE_PASSWORD (--database-password): the database refused"
                  + " the password of user "
                  + user
                  + said
                  + "; put the user's password into PGTRICKLE_DATABASE_PASSWORD (its Secret), or"
                  + " set it on the database: ALTER ROLE "
                  + ident(user)
                  + " PASSWORD '...'";
          case "28000" ->
              "PGTRICKLE_DATABASE_USER (--database-user): the database refused user "
                  + user
                  + " for database "
                  + database
                  + said
                  + "; create the role (CREATE ROLE "
                  + ident(user)
                  + " LOGIN PASSWORD '...') or allow it in pg_hba.conf for database "
                  + database;
          case "3D000" ->
              "PGTRICKLE_DATABASE_URL (--database-url): database "
                  + database
                  + " does not exist"
                  + said
                  + "; name an existing database in the URL, or CREATE DATABASE "
                  + ident(database);
          case "42501" ->
              "PGTRICKLE_DATABASE_USER (--database-user): user "
                  + user
                  + " lacks a privilege on the pgtrickle catalog"
                  + said
                  + "; the worker creates schema pgtrickle and owns its catalog: GRANT CONNECT,"
                  + " CREATE ON DATABASE "
                  + ident(database)
                  + " TO "
                  + ident(user)
                  + " before the first start, or run the worker as the role that owns schema"
                  + " pgtrickle (or a superuser)";
          default -> null;
        });
  }

  /**
   * The database a {@code jdbc:postgresql://hosts/db?options} URL names.
   *
   * @param url the URL
   * @param user the user, PgJDBC's default database when the URL names none
   * @return the database's name
   */
  public static String databaseOf(String url, String user) {
    // PgJDBC's own parsing (host lists, percent-decoding); null for a URL it would not connect to.
    java.util.Properties parsed = org.postgresql.Driver.parseURL(url, null);
    String db =
        parsed == null ? null : parsed.getProperty(org.postgresql.PGProperty.PG_DBNAME.getName());
    return db == null || db.isEmpty() ? user : db;
  }

  /** An identifier as SQL needs it: bare when plain lower case, else double-quoted. */
  static String ident(String name) {
    return name.matches("[a-z_][a-z0-9_$]*") ? name : "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
