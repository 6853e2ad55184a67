package io.pgtrickle.worker.db;

/**
 * A refresh transaction commits without waiting for its WAL to be flushed (PostgreSQL's
 * asynchronous commit, {@code synchronous_commit = off} for that transaction only): the stream
 * table's new contents are visible to every session at once, and the COMMIT saves the WAL flush
 * (about 1.5 ms on this project's test machine, a third of a 1,000-change aggregate refresh) and,
 * on a cluster with synchronous replication, the wait for the standby.
 *
 * <p>Why no acknowledged data can be lost: a refresh only derives. Its inputs, the change buffers
 * and the sources, are written by other transactions that keep the server's setting (the ingest
 * acknowledges the change log only after its own, durable, commit). The stream table's rows and its
 * frontier are written by the same transaction, so a crash (or a failover to a standby) that loses
 * the last refreshes loses each one whole, rows and frontier together, and the next refresh applies
 * the same windows again from the buffers. Nothing later can outlive a lost refresh: WAL is flushed
 * in order, so any later durable commit (a buffer prune reading the frontier, an ingest, a
 * downstream stream table's refresh that read this one) flushes every earlier commit record with
 * its own, on the primary and on a synchronous standby alike. What a crash can show is a stream
 * table that goes back to an earlier, consistent state for a moment; a walsender sends only flushed
 * WAL, so a publication of a stream table publishes a refresh when the WAL writer has flushed it
 * (within {@code wal_writer_delay}, 200 ms by default).
 *
 * <p>PostgreSQL: "Runtime Config: Write Ahead Log, synchronous_commit" and "Asynchronous Commit"
 * (an asynchronous commit loses at most the transactions of the last 3 x {@code wal_writer_delay},
 * never part of one, and never out of order).
 */
public final class AsynchronousCommit {

  /**
   * The select-list item that turns the commit of the current transaction asynchronous ({@code SET
   * LOCAL synchronous_commit = off}): returns {@code 'off'}. Put in the refresh transaction's first
   * statement, so it costs no round trip; {@code synchronous_commit} may be set by any user.
   */
  public static final String SET_LOCAL = "set_config('synchronous_commit', 'off', true)";

  private AsynchronousCommit() {}
}
