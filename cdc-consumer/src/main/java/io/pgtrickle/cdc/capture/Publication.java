package io.pgtrickle.cdc.capture;

import io.pgtrickle.cdc.config.SourceRefusedException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer's publication: created when missing with {@code publish_via_partition_root = true}
 * (a partitioned table's changes then carry the partitioned table's OID, whatever partition the row
 * lives in), tables added and removed one at a time. Every step is idempotent, so a reconnect or a
 * second consumer doing the same never fails: "already exists" and "already member" count as done,
 * "not a member" as removed. What the consumer created or added is written into the publication's
 * comment ({@link PublicationRecord}) in the same transaction, so it can later remove exactly that.
 *
 * <p>Membership is read from {@code pg_publication_rel} by OID (and {@code FOR ALL TABLES} / {@code
 * FOR TABLES IN SCHEMA}, PostgreSQL 15+), never by comparing names with {@code
 * pg_publication_tables}, which lists partitions instead of a partitioned table when the
 * publication does not publish through the root.
 */
final class Publication {

  private static final Logger LOG = LoggerFactory.getLogger(Publication.class);

  private static final String DUPLICATE_OBJECT = "42710";
  private static final String UNDEFINED_OBJECT = "42704";

  private final String name;

  /**
   * @param name the publication's name (a validated lower-case identifier)
   */
  Publication(String name) {
    this.name = name;
  }

  String name() {
    return name;
  }

  /**
   * Creates the publication if missing, and makes it publish partitioned tables through their root.
   *
   * @param c an auto-commit connection
   * @throws SourceRefusedException if the user may not create it ({@code CREATE} on the database),
   *     or may not alter it (another role's)
   * @throws SQLException on a database error
   */
  void ensure(Connection c) throws SQLException {
    Boolean viaRoot = viaRoot(c);
    if (viaRoot == null) {
      try {
        inTransaction(
            c,
            s -> {
              s.execute(
                  "CREATE PUBLICATION " + quoted() + " WITH (publish_via_partition_root = true)");
              comment(s, new PublicationRecord(true, Set.of()));
            });
        LOG.info("created publication {}", name);
        return;
      } catch (SQLException e) {
        if (!DUPLICATE_OBJECT.equals(e.getSQLState())) {
          throw SourceRefusedException.onCreatePublication(
              e, c.getMetaData().getUserName(), c.getCatalog(), name);
        }
        viaRoot = viaRoot(c); // created by someone else just now
      }
    }
    if (Boolean.FALSE.equals(viaRoot)) {
      try (Statement s = c.createStatement()) {
        s.execute("ALTER PUBLICATION " + quoted() + " SET (publish_via_partition_root = true)");
      } catch (SQLException e) {
        throw refusal(c, e, null);
      }
      LOG.info("publication {} now publishes partitioned tables through their root", name);
    }
  }

  /** {@code pubviaroot}, or {@code null} if the publication does not exist. */
  private Boolean viaRoot(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT pubviaroot FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getBoolean(1) : null;
      }
    }
  }

  /**
   * Which of the tables are published by the publication now.
   *
   * @param c a connection
   * @param oids table OIDs
   * @return those that are members
   * @throws SQLException on a database error
   */
  Set<Long> members(Connection c, Collection<Long> oids) throws SQLException {
    Set<Long> out = new HashSet<>();
    if (oids.isEmpty()) {
      return out;
    }
    String bySchema =
        serverVersion(c) >= 150000
            ? " OR EXISTS (SELECT 1 FROM pg_publication_namespace pn"
                + " WHERE pn.pnpubid = p.oid AND pn.pnnspid = c.relnamespace)"
            : "";
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT c.oid::bigint FROM pg_publication p, pg_class c"
                + " WHERE p.pubname = ? AND c.oid = ANY (?::bigint[]::oid[])"
                + " AND (p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_rel r"
                + "   WHERE r.prpubid = p.oid AND r.prrelid = c.oid)"
                + bySchema
                + ")")) {
      ps.setString(1, name);
      ps.setArray(2, c.createArrayOf("int8", oids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  /**
   * Adds a table, recording it as added by the consumer.
   *
   * @param c an auto-commit connection
   * @param table the table; its replica identity must have been checked
   * @return {@code true} if added now, {@code false} if it was a member already
   * @throws SourceRefusedException if the user may not publish it (not the table's owner, or not
   *     the publication's)
   * @throws SQLException on a database error
   */
  boolean add(Connection c, SourceTable table) throws SQLException {
    try {
      inTransaction(
          c,
          s -> {
            PublicationRecord record = record(c);
            s.execute("ALTER PUBLICATION " + quoted() + " ADD TABLE " + table.name());
            comment(s, record.with(table.oid()));
          });
      LOG.info("added {} (oid {}) to publication {}", table.name(), table.oid(), name);
      return true;
    } catch (SQLException e) {
      if (DUPLICATE_OBJECT.equals(e.getSQLState())) {
        return false; // "relation ... is already member of publication"
      }
      throw refusal(c, e, table);
    }
  }

  /**
   * Removes a table the consumer added.
   *
   * @param c an auto-commit connection
   * @param oid the table's OID
   * @throws SQLException on a database error
   */
  void remove(Connection c, long oid) throws SQLException {
    try {
      inTransaction(
          c,
          s -> {
            PublicationRecord record = record(c);
            String table = tableName(c, oid);
            if (table != null) {
              s.execute("ALTER PUBLICATION " + quoted() + " DROP TABLE " + table);
              LOG.info("removed {} (oid {}) from publication {}", table, oid, name);
            }
            comment(s, record.without(oid));
          });
    } catch (SQLException e) {
      if (!UNDEFINED_OBJECT.equals(e.getSQLState())) {
        throw e;
      }
      // Not a member any more (someone removed it): only the record is left to update.
      inTransaction(c, s -> comment(s, record(c).without(oid)));
    }
  }

  /**
   * What the consumer created or added, from the publication's comment.
   *
   * @param c a connection
   * @return the record (empty if the publication does not exist)
   * @throws SQLException on a database error
   */
  PublicationRecord record(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT obj_description(oid, 'pg_publication') FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return PublicationRecord.parse(rs.next() ? rs.getString(1) : null);
      }
    }
  }

  /**
   * Undoes what the consumer did: drops the publication if it created it, otherwise removes the
   * tables it added (others' tables stay).
   *
   * @param c an auto-commit connection
   * @return a description of what was done, for the log
   * @throws SQLException on a database error
   */
  String undo(Connection c) throws SQLException {
    if (viaRoot(c) == null) {
      return "publication " + name + " does not exist";
    }
    PublicationRecord record = record(c);
    if (record.created()) {
      try (Statement s = c.createStatement()) {
        s.execute("DROP PUBLICATION IF EXISTS " + quoted());
      }
      return "dropped publication " + name + " (created by this consumer)";
    }
    for (long oid : record.added()) {
      remove(c, oid);
    }
    return "removed the " + record.added().size() + " table(s) this consumer added to " + name;
  }

  /**
   * What a 42501 while changing the publication means: the publication is another role's, or the
   * table is (PostgreSQL asks for the ownership of both). Anything else is returned unchanged.
   */
  private SQLException refusal(Connection c, SQLException e, SourceTable table) {
    if (!SourceRefusedException.INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
      return e;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pg_get_userbyid(p.pubowner), pg_has_role(p.pubowner, 'USAGE'),"
                + " (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = ?::bigint::oid),"
                + " (SELECT pg_has_role(relowner, 'USAGE') FROM pg_class"
                + "   WHERE oid = ?::bigint::oid)"
                + " FROM pg_publication p WHERE p.pubname = ?")) {
      long oid = table == null ? 0 : table.oid();
      ps.setLong(1, oid);
      ps.setLong(2, oid);
      ps.setString(3, name);
      try (ResultSet rs = ps.executeQuery()) {
        String user = c.getMetaData().getUserName();
        if (rs.next() && !rs.getBoolean(2)) {
          return SourceRefusedException.onPublicationOwner(e, user, name, rs.getString(1));
        }
        if (table != null && rs.getString(3) != null && !rs.getBoolean(4)) {
          return SourceRefusedException.onAddTable(e, user, table.name(), rs.getString(3));
        }
      }
    } catch (SQLException unreadable) {
      // The original error says more than a failed look-up.
    }
    return e;
  }

  private static String tableName(Connection c, long oid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ?::bigint::oid")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private void comment(Statement s, PublicationRecord record) throws SQLException {
    s.execute(
        "COMMENT ON PUBLICATION " + quoted() + " IS '" + record.format().replace("'", "''") + "'");
  }

  private String quoted() {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  private static int serverVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1));
    }
  }

  private interface Work {
    void run(Statement s) throws SQLException;
  }

  private static void inTransaction(Connection c, Work work) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      work.run(s);
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }
}
