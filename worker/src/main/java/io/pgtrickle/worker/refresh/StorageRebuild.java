package io.pgtrickle.worker.refresh;

import io.pgtrickle.worker.db.Claims;
import io.pgtrickle.worker.db.RoundTrip;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a source's columns changed, gives the storage the query's column types when they are not
 * the storage's any more (a source column retyped: {@code int} to {@code float8}, or to {@code
 * numeric} under {@code sum}), so that the refresh does not convert the new values into the old
 * columns on assignment (2.7 stored as 3).
 *
 * <p>The storage is rebuilt as {@code alter_stream_table} with a new query and {@code
 * resume_stream_table} rebuild it ({@code pgtrickle._rebuild_outdated}: the query probed as it
 * reads now, every storage column dropped and the query's added, the table emptied, the catalog row
 * reset for a repopulation), in a transaction of its own (READ COMMITTED) that holds the claim, as
 * the stream table's owner, committed before the refresh, which then repopulates the table in a
 * transaction of its own as after any new query. Never inside the refresh transaction: a storage
 * table rewritten there ({@code ALTER COLUMN ... TYPE}) before the recompute's writes made logical
 * decoding of the database fail for good ("unexpected duplicate for tablespace 0, relfilenode N",
 * worker/README.md). The rebuild rewrites nothing (dropping and adding a column without a default
 * changes the catalog only; {@code TRUNCATE} gives the table a new file of its own) and writes no
 * row of the storage.
 *
 * <p>A refresher remembers, per stream table, the sources' column fingerprints it last checked: a
 * stream table whose storage still fits is checked once per change of its sources' columns, not at
 * every refresh until one completes.
 */
final class StorageRebuild {

  private static final Logger LOG = LoggerFactory.getLogger(StorageRebuild.class);

  /**
   * Whether a failed check or rebuild is recorded as the refresh's failure: an object depending on
   * a storage column (a view, 2BP01) or a privilege the owner lacks (42501: the front door's
   * functions, the catalog, TEMP for the probe's view), which the refresh itself would not report,
   * rounding the new values into the old columns instead. Other failures are the query's own (a
   * source column dropped): the refresh runs into them and reports them as it always did.
   *
   * @param e the failure
   * @return true to record it
   */
  static boolean blocking(SQLException e) {
    return "2BP01".equals(e.getSQLState()) || "42501".equals(e.getSQLState());
  }

  /** What a rebuild did. */
  enum Result {
    /** The storage was rebuilt and the stream table waits for its repopulation. */
    REBUILT,
    /** The storage has the query's columns: nothing to do. */
    CURRENT,
    /** Another worker holds the stream table's claim now. */
    NOT_CLAIMED
  }

  /**
   * What a rebuild did.
   *
   * @param result whether it rebuilt
   * @param columns the storage's user columns before and after ({@code {"old": [...], "new":
   *     [...]}}), when rebuilt
   * @param indexesLeftOut the user's indexes not created again on the new columns, each as {@code
   *     name (error)}, separated by {@code "; "}; null when none was left out
   */
  record Outcome(Result result, String columns, String indexesLeftOut) {}

  private final Map<Long, Map<Long, String>> checked = new HashMap<>();

  /** Per stream table rebuilt here, the indexes left out, for the repopulating refresh's reason. */
  private final Map<Long, String> leftOut = new HashMap<>();

  /**
   * The refresh a rebuild runs for, as its failure is recorded.
   *
   * @param initiatedBy SCHEDULER, MANUAL or INITIAL
   * @param start when the refresh began
   * @param workerId this worker
   * @param maxErrors consecutive errors that put a stream table in ERROR
   * @param metrics the metrics
   * @param t0 {@link System#nanoTime()} when the refresh began
   */
  record Attempt(
      String initiatedBy,
      Instant start,
      String workerId,
      int maxErrors,
      WorkerMetrics metrics,
      long t0) {}

  /**
   * A source's columns changed: before the refresh, the storage is checked against the query's
   * columns and rebuilt when they differ, in a transaction of its own ({@link #run}); the refresh
   * transaction, which has written nothing, is rolled back first.
   *
   * @param conn the refresh connection, in the refresh transaction
   * @param st the stream table, claimed
   * @param sources its sources as the refresh read them
   * @param schemaChanged the base sources whose columns changed (OIDs)
   * @param attempt the refresh it runs for
   * @return {@code null} to start over (rebuilt: the refresh repopulates the table; or it fits, or
   *     the query fails as the refresh will report), or how it ended: SKIPPED when another worker
   *     claimed the table meanwhile, FAILED when the rebuild failed in a way the refresh would not
   *     report ({@link #blocking}: counted as a refresh failure, nothing rounded)
   */
  RefreshOutcome beforeRefresh(
      Connection conn,
      StreamTable st,
      RefreshCatalog.Sources sources,
      Set<Long> schemaChanged,
      Attempt attempt)
      throws SQLException {
    conn.rollback();
    StorageRebuild.Outcome done;
    try {
      done = run(conn, st, sources.fingerprints());
    } catch (SQLException e) {
      if (RefreshErrors.transientFailure(e)) {
        throw e;
      }
      if (!StorageRebuild.blocking(e)) {
        // The query itself fails (a source column dropped): the refresh reports it as ever.
        checked(st.pgtId(), sources.fingerprints());
        return null;
      }
      return recordBlocked(
          conn, st, RefreshDecision.list(schemaChanged, sources.names()::get), attempt, e);
    }
    if (done.result() == StorageRebuild.Result.NOT_CLAIMED) {
      return RefreshOutcome.of(RefreshOutcome.Kind.SKIPPED, null, "claimed by another worker");
    }
    if (done.result() == StorageRebuild.Result.REBUILT) {
      LOG.info(
          "stream table {}: the columns of {} changed and its query's columns are not its"
              + " storage's any more; storage rebuilt (user columns {}), repopulating",
          st.displayName(),
          RefreshDecision.list(schemaChanged, sources.names()::get),
          done.columns());
      if (done.indexesLeftOut() != null) {
        LOG.warn(
            "stream table {}: {}; create them again in a form that fits the new columns",
            st.displayName(),
            leftOutNote(done.indexesLeftOut()));
        leftOut.put(st.pgtId(), done.indexesLeftOut());
      }
    }
    return null;
  }

  /**
   * {@code decision} with the indexes a rebuild here left out of the stream table's storage added
   * to its reason, once: the refresh that repopulates the rebuilt table records them in the history
   * ({@code refresh_reason}), where the user looks for what the rebuild did.
   *
   * @param pgtId the stream table
   * @param decision the refresh's decision
   * @return the decision, its reason extended when a rebuild left indexes out
   */
  RefreshDecision noted(long pgtId, RefreshDecision decision) {
    String indexes = leftOut.remove(pgtId);
    return indexes == null
        ? decision
        : new RefreshDecision(
            decision.action(),
            decision.prepareStorage(),
            decision.reason() + "; " + leftOutNote(indexes));
  }

  /**
   * The note on the indexes left out, e.g. {@code "storage rebuilt without index st_a_odd (...)"}.
   */
  static String leftOutNote(String indexes) {
    return "storage rebuilt without the user's "
        + (indexes.contains("; ") ? "indexes " : "index ")
        + indexes
        + ", which no longer fit its columns";
  }

  /**
   * Whether the storage of a stream table whose sources' columns changed is to be checked: not when
   * it was checked against the same fingerprints already.
   *
   * @param pgtId the stream table
   * @param fingerprints its base sources' column fingerprints now ({@link ColumnFingerprint})
   * @return true if not checked against these yet
   */
  boolean due(long pgtId, Map<Long, String> fingerprints) {
    return !fingerprints.equals(checked.get(pgtId));
  }

  /**
   * Remembers that the storage was checked against {@code fingerprints} (it fits, or the check
   * failed in a way the refresh reports itself).
   *
   * @param pgtId the stream table
   * @param fingerprints its base sources' column fingerprints
   */
  void checked(long pgtId, Map<Long, String> fingerprints) {
    checked.put(pgtId, Map.copyOf(fingerprints));
  }

  /**
   * Checks the storage and rebuilds it when its columns are not the query's, in a transaction of
   * its own (the connection must not be in one: the refresh transaction rolled back), committed
   * when rebuilt and rolled back otherwise.
   *
   * @param c the refresh connection
   * @param st the stream table
   * @param fingerprints its base sources' column fingerprints, remembered unless rebuilt
   * @return what it did
   * @throws SQLException if the check or the rebuild fails (rolled back): the query's own failure
   *     (a source column dropped), one that is {@link #blocking}, a transient one
   */
  Outcome run(Connection c, StreamTable st, Map<Long, String> fingerprints) throws SQLException {
    try {
      // READ COMMITTED, as the front door runs in a user's session: the rebuild's catalog writes
      // (pgt_change_tracking, which the ingest updates) would fail to serialize in the session's
      // REPEATABLE READ, for ever.
      try (Statement s = c.createStatement()) {
        s.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
      }
      if (!Claims.tryClaim(c, st.pgtId())) {
        c.rollback();
        return new Outcome(Result.NOT_CLAIMED, null, null);
      }
      RoundTrip trip = new RoundTrip();
      trip.add(RefreshCatalog.OWNER_ROLE, st.pgtId());
      int rebuild =
          trip.add(
              "SELECT x - 'indexes_left_out', (SELECT string_agg(format('%s (%s)', e->>'index',"
                  + " e->>'error'), '; ') FROM jsonb_array_elements(x->'indexes_left_out') e)"
                  + " FROM (SELECT pgtrickle._rebuild_outdated(s, current_setting('search_path'),"
                  + " true) x FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = ?) r",
              st.pgtId());
      trip.add(RefreshCatalog.WORKER_ROLE);
      String columns;
      String indexesLeftOut = null;
      try (RoundTrip.Results r = trip.run(c);
          ResultSet rs = r.rows(rebuild)) {
        columns = rs.next() ? rs.getString(1) : null;
        if (columns != null) {
          indexesLeftOut = rs.getString(2);
        }
      }
      if (columns == null) {
        c.rollback();
        checked(st.pgtId(), fingerprints);
        return new Outcome(Result.CURRENT, null, null);
      }
      c.commit();
      return new Outcome(Result.REBUILT, columns, indexesLeftOut);
    } catch (SQLException e) {
      try {
        c.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      throw e;
    }
  }

  /**
   * Records a {@link #blocking} failure of the rebuild as the refresh's failure ({@link
   * RefreshRecords#failedApart}: counted, ERROR after {@code maxErrors} in a row; nothing was
   * written, the old contents stay).
   *
   * @param conn the refresh connection, its transaction rolled back
   * @param st the stream table
   * @param sources the sources whose columns changed, e.g. {@code rt}
   * @param attempt the refresh it runs for
   * @param e the rebuild's failure
   * @return FAILED, or SKIPPED when another worker claimed the stream table meanwhile
   * @throws SQLException if the database fails while recording
   */
  static RefreshOutcome recordBlocked(
      Connection conn, StreamTable st, String sources, Attempt attempt, SQLException e)
      throws SQLException {
    String message = blockedMessage(st, sources, e);
    RefreshRecords.Done record =
        new RefreshRecords.Done(
            "FULL",
            RowCounts.NONE,
            0,
            attempt.initiatedBy(),
            "columns of " + sources + " changed; storage not rebuilt",
            st.frontier() == null ? null : Frontier.parse(st.frontier()),
            null,
            attempt.start(),
            attempt.workerId());
    Boolean error = RefreshRecords.failedApart(conn, st, message, attempt.maxErrors(), record);
    if (error == null) {
      return RefreshOutcome.of(RefreshOutcome.Kind.SKIPPED, null, "claimed by another worker");
    }
    attempt.metrics().refresh("FULL", "failed", Duration.ofNanos(System.nanoTime() - attempt.t0()));
    LOG.warn(
        "refresh of {} failed{}: {}",
        st.displayName(),
        error ? " (stream table now in ERROR)" : "",
        message);
    return RefreshOutcome.of(RefreshOutcome.Kind.FAILED, "FULL", message);
  }

  /**
   * The message recorded when {@link #blocking} stopped the rebuild.
   *
   * @param st the stream table
   * @param sources the sources whose columns changed, e.g. {@code public.rt}
   * @param e the rebuild's failure
   * @return the message, with the way out
   */
  static String blockedMessage(StreamTable st, String sources, SQLException e) {
    String text = e.getMessage();
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      ServerErrorMessage m = p.getServerErrorMessage();
      text = m.getMessage() + (m.getDetail() == null ? "" : " (" + m.getDetail() + ")");
    }
    return "the columns of "
        + sources
        + " changed and the storage of stream table "
        + st.displayName()
        + " could not be rebuilt for its query's columns: "
        + text
        + " (SQLSTATE "
        + e.getSQLState()
        + "); "
        + ("2BP01".equals(e.getSQLState())
            ? "drop what depends on the storage's columns"
            : "grant its owner what it lacks (pgtrickle_operator for the front door's"
                + " functions, TEMP on the database for the query's probe)")
        + " (the next refresh rebuilds it), or resume_stream_table('"
        + st.displayName()
        + "') once it is in ERROR";
  }
}
