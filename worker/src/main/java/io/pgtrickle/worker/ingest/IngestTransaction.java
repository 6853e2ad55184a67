package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.db.RoundTrip;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One fenced ingest transaction: copies a round's batches into the change buffers and advances
 * {@code ingested_lsn}, or only advances it.
 *
 * <p>Three round trips when copying, two otherwise: the fence ({@link Lease#fence(RoundTrip)}, with
 * the staging table and the sources' bytea columns when copying); the {@code COPY}; the inserts
 * into the buffers, the advance with its {@code NOTIFY} ({@link IngestDemand#PROGRESS_CHANNEL}),
 * the {@code COMMIT} and, after it, the standbys' positions (the insert position read after the
 * commit ran is at or past its commit record, as {@link AckHoldback} needs). An error skips the
 * rest of a round trip, the {@code COMMIT} included, and the transaction is rolled back.
 */
final class IngestTransaction {

  /**
   * A committed transaction.
   *
   * @param count the lease's commit count of the transaction
   * @param events the change events copied
   * @param standbys the standbys' positions read after the commit, or {@code null} when nothing was
   *     copied
   */
  record Committed(long count, long events, StandbyFlush standbys) {}

  private IngestTransaction() {}

  /**
   * Runs the transaction.
   *
   * @param conn the ingest's autocommit connection (autocommit again afterwards)
   * @param lease the ingest lease
   * @param batches per source, the events to copy (may be empty)
   * @param advance per source, the slot and the new {@code ingested_lsn} (may be empty)
   * @return what was committed
   * @throws LeaseLostException if this worker no longer holds the lease (nothing committed)
   * @throws SQLException if the database fails (nothing committed)
   */
  static Committed commit(
      Connection conn,
      Lease lease,
      Map<Long, List<ChangeEvent>> batches,
      Map<Long, Map.Entry<String, Lsn>> advance)
      throws SQLException {
    boolean copy = !batches.isEmpty();
    long n = 0;
    long count;
    StandbyFlush standbys = null;
    conn.setAutoCommit(false);
    try {
      RoundTrip first = new RoundTrip();
      int fence = lease.fence(first);
      int columns = -1;
      if (copy) {
        first.add(ChangeBuffers.STAGE_TABLE);
        columns =
            first.add(TrackedSources.SQL_BYTEA_COLUMNS, TrackedSources.oidArray(batches.keySet()));
      }
      Map<Long, List<Set<String>>> bytea = Map.of();
      try (RoundTrip.Results r = first.run(conn)) {
        try (ResultSet rs = r.rows(fence)) {
          count = Lease.fenced(rs);
        }
        if (count < 0) {
          throw new LeaseLostException();
        }
        if (copy) {
          try (ResultSet rs = r.rows(columns)) {
            bytea = TrackedSources.byteaColumns(rs, batches.keySet());
          }
        }
      }
      RoundTrip last = new RoundTrip();
      if (copy) {
        StringBuilder csv = new StringBuilder();
        for (var e : batches.entrySet()) {
          List<Set<String>> cols = bytea.get(e.getKey());
          for (ChangeEvent event : e.getValue()) {
            BufferRows.appendCsv(csv, event, cols.get(0), cols.get(1));
            n++;
          }
        }
        ChangeBuffers.copyIntoStage(conn, csv);
        ChangeBuffers.insertFromStage(last, batches.keySet());
      }
      if (!advance.isEmpty()) {
        TrackedSources.advance(last, advance);
        last.add(IngestDemand.NOTIFY_PROGRESS); // wakes the refreshes waiting for it
      }
      last.add("COMMIT");
      int positions = copy ? last.add(StandbyFlush.SQL) : -1;
      try (RoundTrip.Results r = last.run(conn)) {
        if (copy) {
          try (ResultSet rs = r.rows(positions)) {
            standbys = StandbyFlush.of(rs);
          }
        }
      }
    } catch (SQLException | RuntimeException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
    return new Committed(count, n, standbys);
  }

  /** The ingest lease expired or was taken: nothing of the transaction was committed. */
  static final class LeaseLostException extends SQLException {
    private static final long serialVersionUID = 1L;

    LeaseLostException() {
      super("the ingest lease is no longer held by this worker");
    }
  }
}
