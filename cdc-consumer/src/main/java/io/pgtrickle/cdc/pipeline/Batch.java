package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Consecutive events from the stream, published together: possibly several whole transactions,
 * possibly part of one. Only commits wholly inside a published batch (or earlier ones) may be
 * confirmed to PostgreSQL, so a batch remembers the last commit it completes.
 */
final class Batch {

  private final List<ChangeEvent> events = new ArrayList<>();
  private final List<Instant> commitTimes = new ArrayList<>();
  private Lsn lastCommitEnd;
  private long lastTransactionCommit;
  private long session;
  private long receivedNanos;
  private final CompletableFuture<Void> published = new CompletableFuture<>();

  /**
   * A batch of GAP markers only, recorded outside any transaction (before a new slot exists): no
   * commit to confirm and nothing a synchronous standby must have first.
   */
  static Batch gaps(List<ChangeEvent> markers) {
    Batch b = new Batch();
    b.events.addAll(markers);
    return b;
  }

  void add(ChangeEvent event) {
    received();
    events.add(event);
    // An event's position is its transaction's commit LSN (pgoutput's Begin.final_lsn).
    lastTransactionCommit = Math.max(lastTransactionCommit, event.lsn().value());
  }

  void commit(Lsn endLsn, Instant commitTime) {
    received();
    lastCommitEnd = endLsn;
    commitTimes.add(commitTime);
  }

  private void received() {
    if (receivedNanos == 0) {
      receivedNanos = System.nanoTime();
    }
  }

  /**
   * When the first event or commit of this batch arrived ({@link System#nanoTime()}); 0 if none
   * did.
   */
  long receivedNanos() {
    return receivedNanos;
  }

  /** Which replication session (of the {@link Publisher}'s count) this batch came from. */
  void session(long session) {
    this.session = session;
  }

  long session() {
    return session;
  }

  boolean isEmpty() {
    return events.isEmpty() && lastCommitEnd == null;
  }

  int size() {
    return events.size();
  }

  boolean hasCommit() {
    return lastCommitEnd != null;
  }

  /** The end LSN of the last commit in this batch, or {@code null}. */
  Lsn lastCommitEnd() {
    return lastCommitEnd;
  }

  /**
   * The WAL position a synchronous standby must have flushed before this batch may be published:
   * past the end of its last commit, or, for a transaction whose commit is not in this batch (one
   * larger than a batch), past the start of that commit record.
   */
  Lsn requiredDurable() {
    Lsn trailing = lastTransactionCommit == 0 ? Lsn.ZERO : Lsn.of(lastTransactionCommit + 1);
    return lastCommitEnd == null ? trailing : Lsn.max(lastCommitEnd, trailing);
  }

  /** Completes once the change log acknowledged the whole batch. */
  CompletableFuture<Void> published() {
    return published;
  }

  List<Instant> commitTimes() {
    return commitTimes;
  }

  /** The events per source, each list in stream (so position) order. */
  Map<Long, List<ChangeEvent>> bySource() {
    Map<Long, List<ChangeEvent>> out = new LinkedHashMap<>();
    for (ChangeEvent e : events) {
      out.computeIfAbsent(e.sourceOid(), k -> new ArrayList<>()).add(e);
    }
    return out;
  }
}
