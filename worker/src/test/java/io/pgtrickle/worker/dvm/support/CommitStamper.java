package io.pgtrickle.worker.dvm.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The concurrency test's ingest: the capture triggers record changes with the placeholder position
 * {@code 0/0} inside the writing transaction; this stamper learns each transaction's commit from
 * real logical decoding ({@code test_decoding}, one slot) and gives its recorded changes a position
 * in commit order. test_decoding reports the end of the commit record; the contract's position is
 * the commit record's start (pgoutput's commit LSN), which is below the L of any snapshot that sees
 * the transaction. End - 1 keeps both properties (an end-of-record position would equal L when
 * nothing was written between the commit and L, and the change would miss the window of a snapshot
 * that sees it). {@link #ingested()} is the position below which every committed change is stamped
 * (the {@code ingested_lsn} of CONTRACTS.md §4).
 */
public final class CommitStamper implements AutoCloseable {

  private static final long XID_SPACE = 1L << 32;

  private final Connection conn;
  private final String slot;
  private final List<String> buffers;
  private final List<String> sourcePrefixes;
  private final AtomicReference<String> ingested = new AtomicReference<>("0/0");

  /**
   * @param sources the tracked tables as test_decoding names them, e.g. {@code conc.items}
   */
  public CommitStamper(Connection conn, String slot, List<String> buffers, List<String> sources)
      throws SQLException {
    this.conn = conn;
    this.slot = slot;
    this.buffers = buffers;
    this.sourcePrefixes = sources.stream().map(t -> "table " + t + ":").toList();
    try (Statement s = conn.createStatement()) {
      s.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
              + slot
              + "'");
      s.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
    }
  }

  /** Every change committed below this position is stamped. */
  public String ingested() {
    return ingested.get();
  }

  /** Decodes what is flushed and stamps the transactions found; returns their number. */
  public int step() throws SQLException {
    String upto;
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_flush_lsn()::text")) {
      rs.next();
      upto = rs.getString(1);
    }
    Map<Long, Integer> pending = new HashMap<>();
    Map<Long, String> commitLsn = new LinkedHashMap<>();
    Map<Long, Integer> expected = new HashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT lsn::text, xid::text::bigint, data FROM pg_logical_slot_get_changes(?, ?::pg_lsn,"
                + " NULL, 'include-xids', '1', 'skip-empty-xacts', '1')")) {
      ps.setString(1, slot);
      ps.setString(2, upto);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long xid = rs.getLong(2);
          String data = rs.getString(3);
          if (sourcePrefixes.stream().anyMatch(data::startsWith)) {
            pending.merge(xid, 1, Integer::sum);
          } else if (data.startsWith("COMMIT")) {
            Integer n = pending.remove(xid);
            if (n != null) {
              commitLsn.put(xid, rs.getString(1));
              expected.put(xid, n);
            }
          }
        }
      }
    }
    stamp(commitLsn, expected);
    ingested.set(upto);
    return commitLsn.size();
  }

  /**
   * Stamps the transactions' changes, all in one statement per round; a commit may not be visible
   * yet (the commit record is written before the transaction leaves the running set), so rounds
   * repeat until every change is found.
   */
  private void stamp(Map<Long, String> commitLsn, Map<Long, Integer> expected) throws SQLException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    Map<Long, Integer> found = new HashMap<>();
    while (!commitLsn.isEmpty()) {
      StringBuilder values = new StringBuilder();
      for (Map.Entry<Long, String> e : commitLsn.entrySet()) {
        values
            .append(values.length() == 0 ? "" : ", ")
            .append("(")
            .append(e.getKey())
            .append("::bigint, '")
            .append(e.getValue())
            .append("'::pg_lsn - 1)");
      }
      StringBuilder sql =
          new StringBuilder("WITH v(xid, lsn) AS (VALUES ").append(values).append(")");
      List<String> arms = new java.util.ArrayList<>();
      for (int i = 0; i < buffers.size(); i++) {
        sql.append(", u")
            .append(i)
            .append(" AS (UPDATE ")
            .append(buffers.get(i))
            .append(" AS b SET lsn = v.lsn FROM v WHERE b.lsn = '0/0' AND b.xid % ")
            .append(XID_SPACE)
            .append(" = v.xid RETURNING v.xid)");
        arms.add("SELECT xid FROM u" + i);
      }
      sql.append(" SELECT xid, count(*) FROM (")
          .append(String.join(" UNION ALL ", arms))
          .append(") x GROUP BY xid");
      try (Statement s = conn.createStatement();
          ResultSet rs = s.executeQuery(sql.toString())) {
        while (rs.next()) {
          found.merge(rs.getLong(1), rs.getInt(2), Integer::sum);
        }
      }
      commitLsn.keySet().removeIf(x -> found.getOrDefault(x, 0) >= expected.get(x));
      if (!commitLsn.isEmpty() && System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "changes of transactions " + commitLsn.keySet() + " not visible after 30 s");
      }
    }
  }

  @Override
  public void close() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }
}
