package io.pgtrickle.worker.ingest;

import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices ingest commits that the database lost after the change log was told they were done
 * without the standbys' proof that they had them ({@link AckHoldback}: no standby streaming, their
 * positions hidden from the worker's role, or one that did not flush within the hold's bound).
 *
 * <p>The change log never delivers acknowledged events again. With asynchronous replication a
 * commit that returned can still be lost: the primary fails before a standby received it and the
 * standby is promoted. Acknowledgments held back until the standbys flushed the commit are safe
 * (the events come again); the others, acknowledged without that proof, are remembered here: the
 * lease's commit count of the last one ({@link Lease#fence} increments it in each fenced ingest
 * transaction). When a new database session (after any failure) finds the lease's count below it,
 * commits were lost, and it writes a gap row ({@code action 'G'}) into every tracked source's
 * buffer at the server's insert position (sub-position -1, before any change at that position): the
 * next refresh of every stream table reading the source recomputes it from the source, which has
 * every change that committed before the failover. Known only within one process, and a count
 * another worker pushed back past it before this one looked hides the loss. Not thread-safe: the
 * ingest loop uses it.
 */
final class LostCommits {

  private static final Logger LOG = LoggerFactory.getLogger(LostCommits.class);

  /** The lease's count at the last commit acknowledged without the standbys' flush (-1: none). */
  private long copied = -1;

  /**
   * The events of the fenced transaction with this count are acknowledged without the standbys'
   * proof that they have it.
   */
  void committed(long count) {
    copied = Math.max(copied, count);
  }

  /**
   * On a new session, before the first round: if the lease's count is below the last copying
   * commit's, marks a gap in every tracked source's buffer (one fenced transaction).
   *
   * @param c the ingest's connection, auto-commit
   * @param lease the ingest lease, held
   * @param buffers the buffers (created where missing)
   * @return the sources marked (0: nothing was lost)
   * @throws SQLException if the database fails
   * @throws IngestTransaction.LeaseLostException if the lease is no longer held
   */
  int check(Connection c, Lease lease, ChangeBuffers buffers) throws SQLException {
    if (copied < 0) {
      return 0;
    }
    long now = lease.commits(c);
    if (now >= copied) {
      return 0;
    }
    List<TrackedSources.Source> sources = TrackedSources.read(c);
    buffers.ensure(c, sources.stream().map(TrackedSources.Source::oid).toList());
    String position;
    c.setAutoCommit(false);
    try {
      if (lease.fence(c) < 0) {
        throw new IngestTransaction.LeaseLostException();
      }
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
        rs.next();
        position = rs.getString(1);
      }
      for (TrackedSources.Source source : sources) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO "
                    + Sql.changeBuffer(source.oid())
                    + " ("
                    + ChangeBuffers.COLUMNS
                    + ") VALUES (?::pg_lsn, -1, 0, 'G', NULL, NULL, now()) ON CONFLICT DO NOTHING")) {
          ps.setString(1, position);
          ps.executeUpdate();
        }
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
    LOG.error(
        "ingest commits the change log was told about are gone from the database (the lease's"
            + " commit count is {}, the last one acknowledged without the standbys' flush was {}):"
            + " a failover to a"
            + " standby that had not received them? The change log will not deliver those events"
            + " again, so a gap at {} in each of the {} change buffer(s) makes every stream table"
            + " reading them recompute",
        now,
        copied,
        position,
        sources.size());
    copied = -1;
    return sources.size();
  }
}
