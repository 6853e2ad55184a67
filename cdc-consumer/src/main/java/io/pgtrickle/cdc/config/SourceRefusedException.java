package io.pgtrickle.cdc.config;

import java.sql.SQLException;

/**
 * The source refused something the consumer needs in a way that retrying will not change: wrong
 * password, no {@code pg_hba.conf} entry or no such role, no such database, a missing privilege.
 * The message names the setting or the privilege and the statement that fixes it (never a
 * password). At start {@code CdcConsumer} turns it into a {@link ConfigException} (exit code 2);
 * once the consumer has streamed, {@code /readyz} fails with the message while it keeps retrying,
 * and passes again once the source accepts.
 *
 * <p>Each factory returns the original exception unchanged when its SQLSTATE is not one of the
 * permanent ones it knows (connection refused, {@code 57P01} admin shutdown, a failover: those are
 * retried as before).
 */
public final class SourceRefusedException extends SQLException {

  private static final long serialVersionUID = 1L;

  /** {@code invalid_password}. */
  public static final String INVALID_PASSWORD = "28P01";

  /** {@code invalid_authorization_specification}: no pg_hba entry, no such role, no login. */
  public static final String INVALID_AUTHORIZATION = "28000";

  /** {@code invalid_catalog_name}: the database does not exist. */
  public static final String INVALID_CATALOG = "3D000";

  /** {@code insufficient_privilege}. */
  public static final String INSUFFICIENT_PRIVILEGE = "42501";

  private SourceRefusedException(String message, SQLException cause) {
    super(message, cause.getSQLState(), cause);
  }

  /**
   * Classifies a failed connection attempt.
   *
   * @param e what the driver threw
   * @param user the {@code --source-user}
   * @param database the database of {@code --source-url}
   * @param replication whether it was the replication connection
   * @return a {@link SourceRefusedException} for 28P01, 28000, 3D000 and (replication) 42501; else
   *     {@code e}
   */
  public static SQLException onConnect(
      SQLException e, String user, String database, boolean replication) {
    String state = e.getSQLState();
    String said = " (the source says: " + e.getMessage() + ")";
    if (INVALID_PASSWORD.equals(state)) {
      return new SourceRefusedException(
          "PGTRICKLE_SOURCE_PASSWORD (--source-password): the source refused the password of user "
              + user
              + said
              + "; put the user's password into PGTRICKLE_SOURCE_PASSWORD (its Secret), or set it"
              + " on the source: ALTER ROLE "
              + ident(user)
              + " PASSWORD '...'",
          e);
    }
    if (INVALID_AUTHORIZATION.equals(state)) {
      return new SourceRefusedException(
          "PGTRICKLE_SOURCE_USER (--source-user): the source refused "
              + (replication ? "a replication connection" : "a connection")
              + " of user "
              + user
              + " to database "
              + database
              + said
              + "; create the role (CREATE ROLE "
              + ident(user)
              + " LOGIN REPLICATION PASSWORD '...') or allow it in pg_hba.conf: a line for"
              + " database "
              + database
              + " (the logical replication connection matches the same line)",
          e);
    }
    if (INVALID_CATALOG.equals(state)) {
      return new SourceRefusedException(
          "PGTRICKLE_SOURCE_URL (--source-url): database "
              + database
              + " does not exist on the source"
              + said
              + "; name an existing database in the URL, or CREATE DATABASE "
              + ident(database),
          e);
    }
    if (replication && INSUFFICIENT_PRIVILEGE.equals(state)) {
      return noReplication(e, user);
    }
    return e;
  }

  /**
   * Classifies a failure to create a replication slot or open a replication connection for lack of
   * the {@code REPLICATION} attribute.
   *
   * @param e what the driver threw
   * @param user the {@code --source-user}
   * @return a {@link SourceRefusedException} for 42501, else {@code e}
   */
  public static SQLException onReplicationSlot(SQLException e, String user) {
    return INSUFFICIENT_PRIVILEGE.equals(e.getSQLState()) ? noReplication(e, user) : e;
  }

  private static SourceRefusedException noReplication(SQLException e, String user) {
    return new SourceRefusedException(
        "PGTRICKLE_SOURCE_USER (--source-user): user "
            + user
            + " may not use replication (the source says: "
            + e.getMessage()
            + "); give it the attribute: ALTER ROLE "
            + ident(user)
            + " REPLICATION",
        e);
  }

  /**
   * Classifies a failed {@code CREATE PUBLICATION}.
   *
   * @param e what the driver threw
   * @param user the {@code --source-user}
   * @param database the source database
   * @param publication the publication's name
   * @return a {@link SourceRefusedException} for 42501, else {@code e}
   */
  public static SQLException onCreatePublication(
      SQLException e, String user, String database, String publication) {
    if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
      return e;
    }
    return new SourceRefusedException(
        "PGTRICKLE_SOURCE_USER (--source-user): user "
            + user
            + " may not create its publication "
            + publication
            + " (the source says: "
            + e.getMessage()
            + "); GRANT CREATE ON DATABASE "
            + ident(database)
            + " TO "
            + ident(user),
        e);
  }

  /**
   * Classifies a failed {@code ALTER PUBLICATION ... ADD TABLE}.
   *
   * @param e what the driver threw
   * @param user the {@code --source-user}
   * @param table the table, {@code schema.table}
   * @param owner the table's owner, or {@code null} if unknown
   * @return a {@link SourceRefusedException} for 42501, else {@code e}
   */
  public static SQLException onAddTable(SQLException e, String user, String table, String owner) {
    if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
      return e;
    }
    String ownerRole = owner == null ? "<the table's owner>" : ident(owner);
    return new SourceRefusedException(
        "PGTRICKLE_SOURCE_USER (--source-user): user "
            + user
            + " may not publish table "
            + table
            + (owner == null ? "" : ", owned by " + owner)
            + " (the source says: "
            + e.getMessage()
            + "; PostgreSQL lets only a table's owner publish it); GRANT "
            + ownerRole
            + " TO "
            + ident(user)
            + ", or ALTER TABLE "
            + table
            + " OWNER TO "
            + ident(user),
        e);
  }

  /**
   * Classifies a failed change of a publication another role owns ({@code --publication} naming
   * someone else's): only its owner may add tables, comment on it or alter it.
   *
   * @param e what the driver threw
   * @param user the {@code --source-user}
   * @param publication the publication
   * @param owner its owner
   * @return a {@link SourceRefusedException} for 42501, else {@code e}
   */
  public static SQLException onPublicationOwner(
      SQLException e, String user, String publication, String owner) {
    if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
      return e;
    }
    return new SourceRefusedException(
        "PGTRICKLE_PUBLICATION (--publication): user "
            + user
            + " may not change publication "
            + publication
            + ", owned by "
            + owner
            + " (the source says: "
            + e.getMessage()
            + "); ALTER PUBLICATION "
            + ident(publication)
            + " OWNER TO "
            + ident(user)
            + ", GRANT "
            + ident(owner)
            + " TO "
            + ident(user)
            + ", or leave PGTRICKLE_PUBLICATION unset (the consumer then creates its own)",
        e);
  }

  /**
   * Classifies a failure to read or claim rows of the worker's catalog.
   *
   * @param e what the driver threw
   * @param user the {@code --source-user}
   * @param catalogTable the catalog table, {@code schema.table}
   * @return a {@link SourceRefusedException} for 42501, else {@code e}
   */
  public static SQLException onCatalog(SQLException e, String user, String catalogTable) {
    if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
      return e;
    }
    String schema = catalogTable.substring(0, catalogTable.indexOf('.'));
    return new SourceRefusedException(
        "PGTRICKLE_SOURCE_USER (--source-user): user "
            + user
            + " may not read and claim the rows of "
            + catalogTable
            + " (the source says: "
            + e.getMessage()
            + "); GRANT USAGE ON SCHEMA "
            + schema
            + " TO "
            + ident(user)
            + "; GRANT SELECT, UPDATE ON "
            + catalogTable
            + " TO "
            + ident(user)
            + " (or set PGTRICKLE_CATALOG=false)",
        e);
  }

  /**
   * What to say when the source replicates synchronously and hides its standbys' positions from the
   * user (no {@code pg_read_all_stats}): the consumer holds every change back until granted.
   *
   * @param user the {@code --source-user}
   * @return one line naming the setting and the fix
   */
  public static String standbysHidden(String user) {
    return "PGTRICKLE_SOURCE_USER (--source-user): the source replicates synchronously but its"
        + " standbys' positions are hidden from user "
        + user
        + "; changes are held back until GRANT pg_read_all_stats TO "
        + ident(user);
  }

  /** An identifier as SQL needs it: bare when plain lower case, else double-quoted. */
  static String ident(String name) {
    if (name.matches("[a-z_][a-z0-9_$]*")) {
      return name;
    }
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
