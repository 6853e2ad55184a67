package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.slot.TimelineHistory;
import io.pgtrickle.changelog.Lsn;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a new timeline that does not hold everything the consumer published. After a failover
 * with asynchronous replication the promoted standby's history can end before commits the consumer
 * already published from the old primary ({@link TimelineHistory}): those are in the change log but
 * not in the source, and the new primary writes its own transactions at the same positions, which
 * the change log drops as already published (an event is identified by source and position). So at
 * the start of each replication session on a new timeline whose history leaves the old one before
 * the end of the last published commit, the consumer publishes a GAP event for every captured
 * source, at the later of the server's insert position and that end (each at least just above the
 * source's last event): a worker recomputes its stream tables once its window passes it, which
 * takes back the lost commits and takes in the dropped ones. A switchover, or a failover to a
 * standby that had everything published (synchronous replication, {@link SynchronousCommitGate}),
 * needs none.
 *
 * <p>What was published is known only within one process. A process whose first session finds the
 * slot confirmed only up to a position before the server's timeline began (its slot has not
 * streamed on this timeline: the failover happened while the consumer restarted or was down) cannot
 * tell whether an earlier process published past the switchpoint, so it records the GAP anyway, at
 * {@link #MAX_FILL} bytes past the insert position (above anything the change log can hold unless
 * the standby lagged more than that), and fills the WAL up to it: a full refresh too many after a
 * failover with synchronous replication, never a silent loss. Not thread-safe: the consumer's run
 * loop calls it.
 */
final class TimelineFollower {

  private static final Logger LOG = LoggerFactory.getLogger(TimelineFollower.class);

  /** The prefix of the filler message (not {@code pgtrickle_cdc}: no consumer reads it). */
  static final String FILL_PREFIX = "pgtrickle_cdc_fill";

  /** The most WAL written to reach a GAP: 16 MiB, one WAL segment. */
  static final long MAX_FILL = 16L << 20;

  /** Record headers and alignment aside, the message's own size lands just short of the target. */
  private static final long FILL_MARGIN = 8192;

  private final Publisher publisher;

  /** The timeline of the server the last session streamed from (0: none yet in this process). */
  private int streamed;

  TimelineFollower(Publisher publisher) {
    this.publisher = publisher;
  }

  /**
   * Reads the server's timeline on a replication connection that has not started streaming and, if
   * the history forked before what was published, publishes the GAP events (waiting until the
   * change log acknowledged them).
   *
   * @param replication the session's replication connection
   * @param slotConfirmed the slot's confirmed position as the consumer found it before this
   *     session, or null if unknown
   * @param sources the captured sources, asked only when GAP events are needed
   * @param stop ends the wait for the change log when it turns true
   * @return {@code false} if stopped before the GAP events were published
   * @throws SQLException if the server fails
   * @throws InterruptedException if interrupted while waiting
   */
  boolean follow(
      Connection replication, Lsn slotConfirmed, Supplier<Set<Long>> sources, BooleanSupplier stop)
      throws SQLException, InterruptedException {
    int timeline;
    try (Statement s = replication.createStatement();
        ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
      rs.next();
      timeline = rs.getInt(2);
    }
    Lsn published = publisher.publishedCommitEnd();
    Lsn insert = null;
    Lsn at = null;
    if (streamed != 0 && streamed != timeline && !published.equals(Lsn.ZERO)) {
      String history = timeline > 1 ? history(replication, timeline) : "";
      if (TimelineHistory.forked(history, streamed, timeline, published)) {
        insert = insertPosition(replication);
        at = Lsn.max(insert, published);
        LOG.error(
            "the source is on timeline {} now and its history {}, before {}, the end of the last"
                + " transaction this consumer published: transactions published from the former"
                + " primary are not in the new one's history, and the new one's own transactions at"
                + " the same positions would be dropped by the change log (a failover with"
                + " asynchronous replication?); a GAP event at {} marks it for each captured table",
            timeline,
            TimelineHistory.switchpoint(history, streamed)
                .map(lsn -> "left timeline " + streamed + " at " + lsn.walText())
                .orElse("does not pass through timeline " + streamed),
            published.walText(),
            at.walText());
      } else {
        LOG.info(
            "the source is on timeline {} now (was {}): everything this consumer published is in"
                + " its history",
            timeline,
            streamed);
      }
    } else if (streamed == 0 && timeline > 1 && slotConfirmed != null) {
      Optional<Lsn> began = TimelineHistory.began(history(replication, timeline));
      if (began.isPresent() && began.get().isAfter(slotConfirmed)) {
        // What a consumer process before this one published is not known here: it may have gone
        // past the switchpoint by up to the standby's lag at the failover. A GAP far enough
        // ahead lands above anything the change log holds; the WAL is filled up to it.
        insert = insertPosition(replication);
        at = Lsn.of(insert.walPosition().value() + MAX_FILL - FILL_MARGIN);
        LOG.error(
            "replication slot confirmed up to {}, before timeline {} began at {}: the slot has not"
                + " streamed on this timeline, and this process does not know what an earlier"
                + " consumer process published from the former primary (a failover while the"
                + " consumer restarted or was down); if that was asynchronous, transactions in the"
                + " change log may not be in the source's history, so a GAP event at {} marks it"
                + " for each captured table",
            slotConfirmed.walText(),
            timeline,
            began.get().walText(),
            at.walText());
      }
    }
    if (at != null) {
      Set<Long> captured = sources.get();
      if (!captured.isEmpty() && !publisher.publishGaps(captured, at, stop)) {
        return false;
      }
      fillTo(replication, insert, at);
    }
    streamed = timeline;
    return true;
  }

  /**
   * Writes WAL on the new primary until its insert position passes {@code target}: a worker's
   * window ends at the server's insert position, so a GAP ahead of it is acted on only once the
   * server wrote that much, which an idle database may not do for hours. One non-transactional
   * logical decoding message of the missing size (up to {@link #MAX_FILL} bytes; the difference is
   * at most the standby's replication lag at the failover, which Patroni's {@code
   * maximum_lag_on_failover} bounds to 1 MB by default). Other slots decode it and ignore it; if it
   * cannot be written (no privilege), the GAP waits for the source's own writes.
   */
  private static void fillTo(Connection replication, Lsn insert, Lsn target) {
    long missing = target.walPosition().value() - insert.walPosition().value();
    if (missing <= 0) {
      return;
    }
    long bytes = Math.min(missing + FILL_MARGIN, MAX_FILL);
    try (Statement s = replication.createStatement()) {
      s.execute(
          "SELECT pg_logical_emit_message(false, '"
              + FILL_PREFIX
              + "', repeat('0', "
              + bytes
              + "))");
      if (missing + FILL_MARGIN > MAX_FILL) {
        LOG.warn(
            "the GAP at {} is {} bytes ahead of the source's WAL, more than the {} bytes written to"
                + " move it there: the workers recompute once the source has written the rest",
            target.walText(),
            missing,
            MAX_FILL);
      }
    } catch (SQLException e) {
      LOG.warn(
          "could not write {} bytes of WAL to move the source's insert position past the GAP at {}"
              + " ({}): the workers recompute once the source has written that much",
          bytes,
          target.walText(),
          e.getMessage());
    }
  }

  private static String history(Connection replication, int timeline) throws SQLException {
    try (Statement s = replication.createStatement();
        ResultSet rs = s.executeQuery("TIMELINE_HISTORY " + timeline)) {
      rs.next();
      return new String(rs.getBytes(2), StandardCharsets.UTF_8);
    }
  }

  private static Lsn insertPosition(Connection replication) throws SQLException {
    try (Statement s = replication.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Lsn.parse(rs.getString(1));
    }
  }
}
