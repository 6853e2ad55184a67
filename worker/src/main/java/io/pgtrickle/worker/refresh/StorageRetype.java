package io.pgtrickle.worker.refresh;

import io.pgtrickle.worker.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the storage table's user columns to the types the defining query gives now, after a
 * source's columns changed (a column retyped: {@code int} to {@code float8}, or to {@code numeric}
 * under {@code sum}). Without it the recompute that follows wrote the new values into the old
 * columns, converted by assignment: 2.7 stored as 3, silently.
 *
 * <p>Runs in the refresh transaction, inside the plan's savepoint, as the stream table's owner and
 * with its {@code search_path}, right before the plan prepares its storage and recomputes: readers
 * see the old contents or the new ones. The query's columns are read through a temporary view
 * (created in a savepoint of its own and rolled back), as PostgreSQL resolves them now; a column
 * whose type differs is changed with {@code ALTER COLUMN ... TYPE ... USING NULL} (the recompute
 * fills it next, so no old value needs a cast to the new type). Columns that differ in name or
 * number, or a type change PostgreSQL refuses (a view on the stream table uses the column), fail
 * the refresh with a message saying what changed and how to recover, never rounded values.
 */
final class StorageRetype {

  private static final Logger LOG = LoggerFactory.getLogger(StorageRetype.class);

  /** The temporary view the query's columns are read from. */
  private static final String VIEW = "pgt_describe";

  /**
   * A user column: its name and {@code format_type} (with the modifier, e.g. {@code
   * numeric(10,2)}).
   *
   * @param name the column's name
   * @param type its type as {@code format_type} prints it
   */
  record Column(String name, String type) {}

  private StorageRetype() {}

  /**
   * Retypes the storage columns whose type is not the query's any more.
   *
   * @param c the refresh transaction's connection, inside the plan's savepoint, as the owner
   * @param st the stream table
   * @return the changes made, e.g. {@code a: integer -> double precision}; empty when none
   * @throws SQLException if the query no longer runs, its columns are not the storage's, or a
   *     column cannot be changed (the message says which and how to recover)
   */
  static List<String> run(Connection c, StreamTable st) throws SQLException {
    List<Column> query = new ArrayList<>();
    List<Column> storage = new ArrayList<>();
    try (Statement s = c.createStatement()) {
      s.execute("SAVEPOINT " + VIEW);
      s.execute(
          "CREATE TEMPORARY VIEW "
              + VIEW
              + " AS SELECT * FROM ("
              + FullPlan.query(st.definingQuery())
              + ") pgt_q");
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT a.attrelid <> ?::bigint::oid, a.attname::text,"
                  + " pg_catalog.format_type(a.atttypid, a.atttypmod)"
                  + " FROM pg_catalog.pg_attribute a WHERE a.attrelid IN"
                  + " (?::bigint::oid, 'pg_temp."
                  + VIEW
                  + "'::pg_catalog.regclass) AND a.attnum > 0 AND NOT a.attisdropped"
                  + " AND a.attname::text NOT LIKE '\\_\\_pgt\\_%' ORDER BY 1, a.attnum")) {
        ps.setLong(1, st.relid());
        ps.setLong(2, st.relid());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            (rs.getBoolean(1) ? query : storage).add(new Column(rs.getString(2), rs.getString(3)));
          }
        }
      }
      s.execute("ROLLBACK TO SAVEPOINT " + VIEW);
      s.execute("RELEASE SAVEPOINT " + VIEW);
    }
    String target = Sql.qualified(st.schema(), st.name());
    List<String> changes = new ArrayList<>();
    for (String alter : alterations(st.displayName(), target, storage, query, changes)) {
      try (Statement s = c.createStatement()) {
        s.execute(alter);
      } catch (SQLException e) {
        throw new SQLException(
            "the query of stream table "
                + st.displayName()
                + " now gives other column types ("
                + String.join(", ", changes)
                + ": a source column was retyped) and its storage could not follow: "
                + e.getMessage()
                + "; remove what depends on those columns, then resume_stream_table('"
                + st.displayName()
                + "')",
            e.getSQLState(),
            e);
      }
    }
    if (!changes.isEmpty()) {
      LOG.info("stream table {}: storage columns retyped ({})", st.displayName(), changes);
    }
    return changes;
  }

  /**
   * The {@code ALTER TABLE} statements that give {@code storage} the query's types (pure).
   *
   * @param displayName the stream table's name, for the message
   * @param target the storage table, quoted
   * @param storage its user columns, in order
   * @param query the query's columns, in order
   * @param changes receives one line per column changed, e.g. {@code a: integer -> double
   *     precision}
   * @return one statement for all the changes, or none
   * @throws SQLException 42P16 when names or number of columns differ (only a new query rebuilds
   *     the storage then)
   */
  static List<String> alterations(
      String displayName,
      String target,
      List<Column> storage,
      List<Column> query,
      List<String> changes)
      throws SQLException {
    List<String> names = storage.stream().map(Column::name).toList();
    if (!names.equals(query.stream().map(Column::name).toList())) {
      throw new SQLException(
          "the query of stream table "
              + displayName
              + " now gives the columns ("
              + String.join(", ", query.stream().map(Column::name).toList())
              + "), its storage has ("
              + String.join(", ", names)
              + "); alter_stream_table('"
              + displayName
              + "', query => ...) rebuilds it",
          "42P16");
    }
    List<String> clauses = new ArrayList<>();
    for (int i = 0; i < storage.size(); i++) {
      Column have = storage.get(i);
      Column want = query.get(i);
      if (!have.type().equals(want.type())) {
        changes.add(have.name() + ": " + have.type() + " -> " + want.type());
        clauses.add(
            "ALTER COLUMN "
                + Sql.ident(have.name())
                + " TYPE "
                + want.type()
                + " USING NULL::"
                + want.type());
      }
    }
    return clauses.isEmpty()
        ? List.of()
        : List.of("ALTER TABLE " + target + " " + String.join(", ", clauses));
  }
}
