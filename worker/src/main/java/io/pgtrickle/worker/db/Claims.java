package io.pgtrickle.worker.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;

/**
 * Claims on stream tables: transaction-level advisory locks {@code (CLASS, pgt_id)}. A refresh
 * holds its stream table's claim for the length of its transaction, so exactly one worker refreshes
 * a stream table at a time, and a worker that dies loses its claims with its connection (no lease
 * to expire). Claims show in {@code pg_locks} ({@code locktype = 'advisory', classid = CLASS,
 * objsubid = 2}), which is how every worker counts the due stream tables nobody has claimed.
 */
public final class Claims {

  /** The first key of every claim: the bytes of "pgtr". */
  public static final int CLASS = 0x70677472;

  private Claims() {}

  /**
   * Tries to claim a stream table for the caller's transaction.
   *
   * @param c a connection inside a transaction
   * @param pgtId the stream table
   * @return true if claimed, false if another transaction holds it
   * @throws SQLException if the database fails
   */
  public static boolean tryClaim(Connection c, long pgtId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?, ?)")) {
      ps.setInt(1, CLASS);
      ps.setInt(2, key(pgtId));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * The stream tables some transaction holds a claim on right now.
   *
   * @param c any connection
   * @return their ids
   * @throws SQLException if the database fails
   */
  public static Set<Long> claimed(Connection c) throws SQLException {
    Set<Long> out = new HashSet<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = ?::oid"
                + " AND objsubid = 2 AND granted AND database = (SELECT oid FROM pg_database"
                + " WHERE datname = current_database())")) {
      ps.setLong(1, Integer.toUnsignedLong(CLASS));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  /** The second key: stream table ids are bigserial but stay far below 2^31 in practice. */
  static int key(long pgtId) {
    if (pgtId < 0 || pgtId > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("pgt_id " + pgtId + " does not fit a claim key");
    }
    return (int) pgtId;
  }
}
