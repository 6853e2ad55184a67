package io.pgtrickle.worker.refresh;

import io.pgtrickle.worker.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * FULL maintenance (CONTRACTS.md §5): {@code DELETE FROM st; INSERT INTO st (cols) SELECT cols FROM
 * (query) q} in the refresh transaction. Readers are never blocked; they see the old contents until
 * the commit and the new ones after. When the runtime holds the table exclusively ({@link
 * RefreshContext#exclusive}, see {@link ExclusiveRecompute}) the DELETE is a {@code TRUNCATE}. The
 * columns are the storage table's own, except hidden {@code __pgt_*} columns, selected by name from
 * the query, so a query whose output gained a column (a {@code SELECT *} over a source that got
 * one) keeps working, and one that lost a column fails naming it.
 */
public final class FullPlan implements MaintenancePlan {

  private final String reason;

  /**
   * Creates the plan.
   *
   * @param reason why FULL (recorded in the catalog and the history)
   */
  public FullPlan(String reason) {
    this.reason = reason;
  }

  @Override
  public String mode() {
    return "FULL";
  }

  @Override
  public String reason() {
    return reason;
  }

  @Override
  public boolean needsWindowRows() {
    return false;
  }

  @Override
  public void prepareStorage(Connection c, RefreshContext ctx) {
    // The front door created the table with the query's columns; FULL adds nothing.
  }

  @Override
  public RowCounts recompute(Connection c, RefreshContext ctx) throws SQLException {
    StreamTable st = ctx.streamTable();
    List<String> columns = userColumns(c, st.relid());
    if (columns.isEmpty()) {
      throw new SQLException(
          "stream table "
              + st.displayName()
              + " (oid "
              + st.relid()
              + ") has no columns or is gone",
          "42P01");
    }
    String target = Sql.qualified(st.schema(), st.name());
    String list = String.join(", ", columns.stream().map(Sql::ident).toList());
    String insert =
        "INSERT INTO "
            + target
            + " ("
            + list
            + ") SELECT "
            + list
            + " FROM ("
            + query(st.definingQuery())
            + ") AS pgt_q";
    long deleted;
    long inserted;
    try (Statement s = c.createStatement()) {
      if (ctx.exclusive()) {
        deleted = ExclusiveRecompute.truncate(c, target);
        inserted = s.executeUpdate(insert);
      } else {
        // DELETE and INSERT in one round trip.
        s.execute("DELETE FROM " + target + ";\n" + insert);
        deleted = s.getLargeUpdateCount();
        s.getMoreResults();
        inserted = s.getLargeUpdateCount();
      }
    }
    return new RowCounts(inserted, 0, deleted);
  }

  /** The query without a trailing semicolon, which would end the subquery. */
  static String query(String definingQuery) {
    String q = definingQuery.strip();
    while (q.endsWith(";")) {
      q = q.substring(0, q.length() - 1).strip();
    }
    return q;
  }

  /**
   * The storage table's columns in order, without dropped and hidden {@code __pgt_*} ones.
   *
   * @param c a connection
   * @param relid the storage table
   * @return column names
   * @throws SQLException if the catalog cannot be read
   */
  public static List<String> userColumns(Connection c, long relid) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = ?::bigint::oid AND attnum > 0"
                + " AND NOT attisdropped AND attname::text NOT LIKE '\\_\\_pgt\\_%' ORDER BY attnum")) {
      ps.setLong(1, relid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }
}
