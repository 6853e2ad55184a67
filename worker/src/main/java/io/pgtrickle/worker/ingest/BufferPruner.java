package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.Claims;
import io.pgtrickle.worker.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Deletes change-buffer rows that every stream table reading the source has passed.
 *
 * <p>A row is needed while some stream table's frontier for the source is at or below its LSN. A
 * stream table without a frontier for the source (never refreshed, or its query changed) refreshes
 * FULL next and then needs only rows above the LSN its snapshot takes. The one race: such a stream
 * table whose FULL refresh took its LSN before the prune read the frontiers and commits after it.
 * So the prune claims (see {@link Claims}) every reader without a frontier for the source first;
 * one being refreshed makes it skip the source this time; then it reads the frontiers again and
 * deletes below the smallest (below {@code ingested_lsn} if no reader has one: a later refresh's
 * snapshot LSN is above every row ingested now).
 */
public final class BufferPruner {

  private BufferPruner() {}

  /**
   * Prunes one source's buffer, in its own transaction.
   *
   * @param c an autocommit connection (used in a transaction and returned to autocommit)
   * @param sourceOid the source
   * @return rows deleted, or -1 if a reader was being refreshed and the source was skipped
   * @throws SQLException if the database fails
   */
  public static long prune(Connection c, long sourceOid) throws SQLException {
    c.setAutoCommit(false);
    try {
      List<Long> withoutFrontier = new ArrayList<>();
      for (Reader r : readers(c, sourceOid)) {
        if (r.frontier == null) {
          withoutFrontier.add(r.pgtId);
        }
      }
      for (long id : withoutFrontier) {
        if (!Claims.tryClaim(c, id)) {
          c.rollback();
          return -1;
        }
      }
      String below = null;
      boolean any = false;
      for (Reader r : readers(c, sourceOid)) {
        if (r.frontier != null) {
          any = true;
          below =
              below == null || Lsn.parse(r.frontier).compareTo(Lsn.parse(below)) < 0
                  ? r.frontier
                  : below;
        }
      }
      if (!any) {
        below = ingested(c, sourceOid);
      }
      long deleted = 0;
      if (below != null) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "DELETE FROM " + Sql.changeBuffer(sourceOid) + " WHERE lsn < ?::pg_lsn")) {
          ps.setString(1, below);
          deleted = ps.executeUpdate();
        }
      }
      c.commit();
      return deleted;
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private record Reader(long pgtId, String frontier) {}

  private static List<Reader> readers(Connection c, long sourceOid) throws SQLException {
    List<Reader> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT st.pgt_id, st.frontier -> 'sources' ->> ?::text"
                + " FROM pgtrickle.pgt_dependencies d"
                + " JOIN pgtrickle.pgt_stream_tables st ON st.pgt_id = d.pgt_id"
                + " WHERE d.source_relid::oid::bigint = ?")) {
      ps.setString(1, Long.toString(sourceOid));
      ps.setLong(2, sourceOid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Reader(rs.getLong(1), rs.getString(2)));
        }
      }
    }
    return out;
  }

  private static String ingested(Connection c, long sourceOid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT ingested_lsn::text FROM pgtrickle.pgt_change_tracking"
                + " WHERE source_relid::oid::bigint = ?")) {
      ps.setLong(1, sourceOid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
