package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.RoundTrip;
import io.pgtrickle.worker.db.Sql;
import io.pgtrickle.worker.ingest.BufferRows;
import io.pgtrickle.worker.ingest.ChangeBuffers;
import io.pgtrickle.worker.ingest.IngestDemand;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * Reads the change buffers for a refresh through a second connection (autocommit, READ COMMITTED):
 * the rows of a window committed by the ingest after the refresh's snapshot was taken cannot be
 * seen by the refresh transaction itself.
 *
 * <p>One statement ({@link #read}) waits for the ingest and reads the windows: while a captured
 * source's slot has not confirmed L or the ingest has not copied the log up to L, it returns no
 * window (and asks the ingest, {@link IngestDemand}, on the first try and every second), and the
 * reader tries again when the ingest's next commit says it advanced (a notification on {@link
 * IngestDemand#PROGRESS_CHANNEL}, listened to only while waiting) or after a pause (1, 2, 4 ... 20
 * ms); once both have, in the same statement (so in one snapshot in which everything below L is in
 * the buffers), each window's counts and markers, whether every change is visible in the refresh's
 * snapshot, how many of its rows the refresh's snapshot shows, the rows it does not show (inline,
 * when few), and a sample of its commit times.
 */
final class WindowReader {

  /** The 32-bit xid of a buffer row widened to the xid8 nearest the snapshot's xmax. */
  private static final String WIDENED_XID =
      "greatest(3, CASE WHEN ((x.base | b.xid) > x.xmax8 + 2147483648)"
          + " THEN (x.base | b.xid) - 4294967296 ELSE (x.base | b.xid) END)::text::xid8";

  /** The commit times sampled per window for the freshness metric (about this many). */
  static final int COMMIT_TIMES = 2_000;

  private final Connection probe;
  private long lastReadNanos;
  private long lastCdcWaitNanos;
  private boolean slotsConfirmed;

  WindowReader(Connection probe) {
    this.probe = probe;
  }

  /**
   * How long the last statement of {@link #read} took (the one that found the ingest there and read
   * the windows; the rest of the call was the wait).
   *
   * @return nanoseconds
   */
  long lastReadNanos() {
    return lastReadNanos;
  }

  /**
   * How long the last {@link #read} waited until every captured source's slot had confirmed L (the
   * CDC's part of the wait; the rest was the ingest's), to the poll that first saw it.
   *
   * @return nanoseconds
   */
  long lastCdcWaitNanos() {
    return lastCdcWaitNanos;
  }

  /**
   * What to read of one source's window {@code from <= lsn < to}.
   *
   * @param oid the source
   * @param from the lower bound (the frontier, or {@code captured_since_lsn} for a check alone)
   * @param to L
   * @param after the refresh's snapshot shows the window's rows up to this {@code (lsn, seq)}: rows
   *     after it are "the rest" ({@code null}: the snapshot shows none)
   * @param afterSeq the seq of {@code after}
   * @param inlineMax return the rest inline if it has at most this many rows (0: never)
   * @param commitTimes whether to sample the window's commit times
   */
  record Ask(
      long oid, Lsn from, Lsn to, Lsn after, int afterSeq, int inlineMax, boolean commitTimes) {}

  /**
   * What a window holds.
   *
   * @param changes rows in the window
   * @param truncated whether it holds a TRUNCATE
   * @param gap whether it holds a GAP marker
   * @param invisible changes of transactions not visible in the refresh's snapshot
   * @param upToAfter rows at or before {@link Ask#after}
   * @param rest the rows after {@link Ask#after} as a JSON array, when there are at most {@link
   *     Ask#inlineMax}; otherwise {@code null}
   * @param commitTimes the sampled commit times (epoch ms), empty unless asked
   * @param keyOnly UPDATE and DELETE rows whose old image is only the key ({@link
   *     BufferRows#KEY_ONLY_MARKER})
   */
  record Found(
      long changes,
      boolean truncated,
      boolean gap,
      long invisible,
      long upToAfter,
      String rest,
      List<Long> commitTimes,
      long keyOnly) {

    /**
     * The rows after {@link Ask#after}.
     *
     * @return their count
     */
    long restCount() {
      return changes - upToAfter;
    }
  }

  /**
   * Waits until every captured source's slot confirmed L and the ingest copied the log up to L,
   * then reads the windows.
   *
   * @param captured captured base sources
   * @param l the refresh snapshot's LSN
   * @param snapshot the refresh's snapshot
   * @param asks the windows to read
   * @param timeout the longest wait
   * @return per source its window, or {@code null} on timeout
   * @throws SQLException if the database fails
   * @throws InterruptedException if interrupted
   */
  Map<Long, Found> read(
      Collection<Long> captured, Lsn l, String snapshot, List<Ask> asks, Duration timeout)
      throws SQLException, InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long nextAsk = start;
    long pause = 1;
    lastCdcWaitNanos = -1;
    boolean listening = false;
    try {
      while (true) {
        long now = System.nanoTime();
        boolean ask = now >= nextAsk;
        Map<Long, Found> found = readOnce(captured, l, snapshot, asks, ask);
        lastReadNanos = System.nanoTime() - now;
        if (lastCdcWaitNanos < 0 && (found != null || slotsConfirmed)) {
          lastCdcWaitNanos = Math.max(0, now - start);
        }
        if (found != null) {
          return found;
        }
        if (ask) {
          nextAsk = now + 1_000_000_000L;
        }
        if (System.nanoTime() > deadline) {
          return null;
        }
        if (!listening) {
          IngestDemand.listenForProgress(probe);
          listening = true;
        }
        // Woken by the ingest's commit, or polls again after the pause (a notification sent
        // before the LISTEN took effect is not seen).
        IngestDemand.awaitProgress(probe, (int) pause);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        pause = Math.min(20, pause * 2);
      }
    } finally {
      if (listening) {
        IngestDemand.stopListening(probe);
      }
    }
  }

  private Map<Long, Found> readOnce(
      Collection<Long> captured, Lsn l, String snapshot, List<Ask> asks, boolean askIngest)
      throws SQLException {
    RoundTrip trip = new RoundTrip();
    List<Object> p = new ArrayList<>();
    p.addAll(List.of(snapshot, snapshot, snapshot, l.walText(), l.walText()));
    p.add("{" + captured.stream().map(String::valueOf).collect(Collectors.joining(",")) + "}");
    p.addAll(List.of(askIngest, l.walText()));
    for (Ask a : asks) {
      p.add(a.from().walText());
      p.add(a.to().walText());
      p.add(a.after() == null ? "0/0" : a.after().walText());
      p.add(a.after() == null ? Integer.MIN_VALUE : a.afterSeq());
      p.add(a.inlineMax() > 0 ? a.inlineMax() + 1 : 0);
      p.add(a.commitTimes());
    }
    int result = trip.add(sql(asks), 1, p);
    try (RoundTrip.Results r = trip.run(probe);
        ResultSet rs = r.rows(result)) {
      Map<Long, Integer> inlineMax = new HashMap<>();
      asks.forEach(a -> inlineMax.put(a.oid(), a.inlineMax()));
      Map<Long, Found> out = new HashMap<>();
      boolean ready = false;
      while (rs.next()) {
        if (rs.getString(1) == null) {
          ready = rs.getBoolean(2);
          slotsConfirmed = rs.getLong(4) == 1;
          continue;
        }
        long oid = rs.getLong(1);
        long changes = rs.getLong(3);
        long upTo = rs.getLong(7);
        // The rows came with one more than allowed, to tell a rest that is too long.
        String rest = changes - upTo <= inlineMax.get(oid) ? rs.getString(8) : null;
        out.put(
            oid,
            new Found(
                changes,
                rs.getLong(4) > 0,
                rs.getLong(5) > 0,
                rs.getLong(6),
                upTo,
                rest,
                longs(rs.getArray(9)),
                rs.getLong(10)));
      }
      return ready ? out : null;
    }
  }

  private static List<Long> longs(Array array) throws SQLException {
    if (array == null) {
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    for (Object o : (Object[]) array.getArray()) {
      out.add(((Number) o).longValue());
    }
    return out;
  }

  /**
   * The statement: a header row (NULL OID; whether the slots and the ingest are there; the request
   * to the ingest; 1 if every slot has confirmed L, else 0), then, once they are, a row per ask.
   * Parameters: the snapshot three times, L twice, the captured sources ({@code bigint[]} text),
   * whether to ask the ingest, L again; per ask {@code from, to, after, afterSeq, limit (inlineMax
   * + 1, or 0), commitTimes}.
   */
  static String sql(List<Ask> asks) {
    StringBuilder sql =
        new StringBuilder(
            "WITH x AS (SELECT pg_snapshot_xmax(?::pg_snapshot)::text::bigint AS xmax8,"
                + " pg_snapshot_xmax(?::pg_snapshot)::text::bigint & -4294967296 AS base,"
                + " ?::pg_snapshot AS snap),"
                + " r AS MATERIALIZED (SELECT count(*) FILTER (WHERE NOT (q.i AND q.c)) = 0 AS ready,"
                + " count(*) FILTER (WHERE NOT q.c) = 0 AS confirmed FROM (SELECT"
                + " coalesce(t.ingested_lsn >= ?::pg_lsn, false) AS i,"
                + " coalesce(s.confirmed_flush_lsn >= ?::pg_lsn, false) AS c"
                + " FROM pgtrickle.pgt_change_tracking t LEFT JOIN pg_replication_slots s"
                + " ON s.slot_name = t.slot_name WHERE t.source_relid::oid::bigint"
                + " = ANY(?::bigint[])) q)"
                // Not there yet: ask the ingest (NOTIFY, sent when this statement commits).
                + " SELECT NULL::bigint, r.ready, CASE WHEN NOT r.ready AND ? THEN (SELECT"
                + " count(*) FROM pg_notify('"
                + IngestDemand.CHANNEL
                + "', ?::text)) END, CASE WHEN r.confirmed THEN 1 ELSE 0 END::bigint, NULL::bigint,"
                + " NULL::bigint, NULL::bigint, NULL::text, NULL::bigint[], NULL::bigint FROM r");
    for (Ask a : asks) {
      String buffer = Sql.changeBuffer(a.oid());
      sql.append(" UNION ALL SELECT ")
          .append(a.oid())
          .append("::bigint, NULL, w.n, w.t, w.g, w.inv, w.upto,")
          .append(" (SELECT json_agg(j ORDER BY j.lsn, j.seq)::text FROM (SELECT c.lsn, c.seq,")
          .append(" c.new_row, c.old_row FROM ")
          .append(buffer)
          .append(" c WHERE c.lsn >= p.lower AND c.lsn < p.upper")
          .append(" AND (c.lsn, c.seq) > (p.al, p.aseq) ORDER BY c.lsn, c.seq LIMIT p.lim) j),")
          .append(" (SELECT array_agg(e.ms) FROM (SELECT (extract(epoch FROM d.commit_ts)")
          .append(" * 1000)::bigint AS ms, count(*) OVER () AS k FROM (SELECT DISTINCT ON (c.lsn)")
          .append(" c.lsn, c.commit_ts FROM ")
          .append(buffer)
          .append(" c WHERE c.lsn >= p.lower AND c.lsn < p.upper AND c.action <> 'G'")
          .append(" ORDER BY c.lsn) d) e WHERE p.times AND (e.k <= ")
          .append(COMMIT_TIMES)
          .append(" OR random() < ")
          .append(COMMIT_TIMES)
          .append(".0 / e.k)), w.k")
          .append(" FROM (VALUES (?::pg_lsn, ?::pg_lsn, ?::pg_lsn, ?::integer, ?::integer,")
          .append(" ?::boolean)) AS p(lower, upper, al, aseq, lim, times)")
          .append(" CROSS JOIN LATERAL (SELECT count(*) AS n,")
          // jsonb_exists, not ?: the statement has JDBC parameters.
          .append(" count(*) FILTER (WHERE b.action IN ('U', 'D') AND pg_catalog.jsonb_exists(")
          .append("b.old_row, '")
          .append(BufferRows.KEY_ONLY_MARKER)
          .append("')) AS k,")
          .append(" count(*) FILTER (WHERE b.action = 'T') AS t,")
          .append(" count(*) FILTER (WHERE b.action = 'G') AS g,")
          .append(" count(*) FILTER (WHERE b.action <> 'G' AND NOT pg_visible_in_snapshot(")
          .append(WIDENED_XID)
          .append(", x.snap)) AS inv,")
          .append(" count(*) FILTER (WHERE (b.lsn, b.seq) <= (p.al, p.aseq)) AS upto")
          .append(" FROM ")
          .append(buffer)
          .append(" b CROSS JOIN x WHERE b.lsn >= p.lower AND b.lsn < p.upper) w")
          .append(" WHERE (SELECT ready FROM r)");
    }
    return sql.toString();
  }

  /**
   * Copies a window's rows after {@code (after, afterSeq)} into the temporary table {@link
   * WindowRelations#table} of the refresh transaction (created just before by {@link
   * WindowRelations#createTable}), streaming from the probe connection's {@code COPY TO} into the
   * refresh connection's {@code COPY FROM}.
   *
   * @param refresh the refresh transaction's connection
   * @param oid the source
   * @param from the frontier
   * @param to L
   * @param after the last row the refresh's snapshot shows ({@code null}: copy the whole window)
   * @param afterSeq its seq
   * @throws SQLException if the database fails
   */
  void copy(Connection refresh, long oid, Lsn from, Lsn to, Lsn after, int afterSeq)
      throws SQLException {
    String select =
        "COPY (SELECT "
            + ChangeBuffers.COLUMNS
            + " FROM "
            + Sql.changeBuffer(oid)
            + " WHERE lsn >= '"
            + from.walText()
            + "'::pg_lsn AND lsn < '"
            + to.walText()
            + "'::pg_lsn"
            + (after == null
                ? ""
                : " AND (lsn, seq) > ('" + after.walText() + "'::pg_lsn, " + afterSeq + ")")
            + " ORDER BY lsn, seq) TO STDOUT (FORMAT binary)";
    CopyOut out = probe.unwrap(PGConnection.class).getCopyAPI().copyOut(select);
    CopyIn in =
        refresh
            .unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn(
                "COPY "
                    + WindowRelations.table(oid)
                    + " ("
                    + ChangeBuffers.COLUMNS
                    + ") FROM STDIN (FORMAT binary)");
    try {
      byte[] chunk;
      while ((chunk = out.readFromCopy()) != null) {
        in.writeToCopy(chunk, 0, chunk.length);
      }
      in.endCopy();
    } catch (SQLException e) {
      if (in.isActive()) {
        in.cancelCopy();
      }
      if (out.isActive()) {
        out.cancelCopy();
      }
      throw e;
    }
  }
}
