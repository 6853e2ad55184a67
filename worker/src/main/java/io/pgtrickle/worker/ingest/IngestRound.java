package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.db.RoundTrip;
import io.pgtrickle.worker.runtime.WorkerState;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ingest round (CONTRACTS.md §3, §4): copy what the change log holds into the change buffers
 * and advance {@code ingested_lsn}.
 *
 * <ol>
 *   <li>Read the tracked sources and their slots' {@code confirmed_flush_lsn} C, <b>before</b>
 *       reading the change log: every change committed below C is in the log by then.
 *   <li>Consume every source at once (the backend's calls for different sources run concurrently,
 *       so waits of NATS or Kafka overlap), commit the batches into the buffers in one fenced
 *       transaction, then acknowledge them in the log once the database's standbys flushed that
 *       commit ({@link AckHoldback}; without waiting, except where the lag is read next). Repeat
 *       for the sources that returned events until each is drained with respect to C: an empty
 *       batch, or an event at or past C (events of a source come in order, and whatever is
 *       published after C was read commits at or above C).
 *   <li>Set {@code ingested_lsn = C} for the drained sources of each slot, in the transaction of
 *       the last copy (or one of its own): when changes were copied, when a refresh asked for it,
 *       and otherwise about once a second (each update writes WAL and so moves the slots; updating
 *       on every round would keep the ingest busy with its own updates). On NATS the drain is
 *       confirmed by the lag first, after the acknowledgments.
 * </ol>
 *
 * A crash after the commit and before the acknowledgment makes the log deliver the events again;
 * the buffers' primary key drops them. A failure anywhere in a round must close the change-log
 * instance ({@link Ingest} does): a new instance starts again at the acknowledged positions,
 * whereas this one has moved past events it delivered and that were never committed.
 */
final class IngestRound {

  private static final Logger LOG = LoggerFactory.getLogger(IngestRound.class);
  private static final int MAX_PASSES = 10;
  private static final long IDLE_ADVANCE_NANOS = 1_000_000_000L;

  private final Connection conn;
  private final ChangeLogBackend log;
  private final Lease lease;
  private final ChangeBuffers buffers;
  private final boolean confirmDrainByLag;
  private final WorkerState state;
  private final LostCommits lostCommits;
  private final AckHoldback holdback;
  private final Map<Long, Long> lastAdvance = new HashMap<>();
  private final Map<Long, CompletableFuture<Void>> acks = new HashMap<>();
  private String lastUnprotected;
  private long lastUnprotectedLog;

  /**
   * What a round did.
   *
   * @param events the change events it copied
   * @param ingested per source, its {@code ingested_lsn} afterwards
   * @param captured the sources a slot captures
   * @param confirmed per source, its slot's confirmed position C as the round read it at its start
   * @param drained whether every source was drained with respect to C (false: the round stopped
   *     after {@code MAX_PASSES} with more in the log)
   */
  record Result(
      long events,
      Map<Long, Lsn> ingested,
      Set<Long> captured,
      Map<Long, Lsn> confirmed,
      boolean drained) {}

  IngestRound(
      Connection conn,
      ChangeLogBackend log,
      Lease lease,
      ChangeBuffers buffers,
      boolean confirmDrainByLag,
      WorkerState state,
      LostCommits lostCommits,
      AckHoldback holdback) {
    this.conn = conn;
    this.log = log;
    this.lease = lease;
    this.buffers = buffers;
    this.confirmDrainByLag = confirmDrainByLag;
    this.state = state;
    this.lostCommits = lostCommits;
    this.holdback = holdback;
  }

  /**
   * Runs a round.
   *
   * @param wanted the LSN a refresh waits for, or {@code null}
   * @return the events copied and the sources' {@code ingested_lsn} afterwards
   * @throws Exception if the database or the change log fails, or the lease was lost
   */
  Result run(Lsn wanted) throws Exception {
    // The sources, their slots' positions and (while acknowledgments wait) the standbys' in one
    // round trip, before the change log is read.
    RoundTrip start = new RoundTrip();
    int tracked = start.add(TrackedSources.SQL_WITH_CONFIRMED);
    int standby = holdback.isEmpty() ? -1 : start.add(StandbyFlush.SQL);
    TrackedSources.WithConfirmed read;
    StandbyFlush standbys = null;
    try (RoundTrip.Results r = start.run(conn)) {
      try (ResultSet rs = r.rows(tracked)) {
        read = TrackedSources.withConfirmed(rs);
      }
      if (standby >= 0) {
        try (ResultSet rs = r.rows(standby)) {
          standbys = StandbyFlush.of(rs);
        }
      }
    }
    if (standbys != null) {
      release(standbys, false);
    }
    List<TrackedSources.Source> sources = read.sources();
    Map<Long, Lsn> ingested = new HashMap<>();
    Set<Long> captured = new HashSet<>();
    if (sources.isEmpty()) {
      return new Result(0, ingested, captured, Map.of(), true);
    }
    buffers.ensure(conn, sources.stream().map(TrackedSources.Source::oid).toList());
    Map<Long, Lsn> target = read.confirmed();
    Set<Long> pending = new HashSet<>();
    sources.forEach(s -> pending.add(s.oid()));
    Set<Long> drained = new HashSet<>();
    Set<Long> drainedEmpty = new HashSet<>();
    Set<Long> copied = new HashSet<>();
    Map<Long, Map.Entry<String, Lsn>> advanced = null;
    long events = 0;
    for (int pass = 0; pass < MAX_PASSES && !pending.isEmpty(); pass++) {
      Map<Long, List<ChangeEvent>> got = consumeAll(pending);
      Map<Long, List<ChangeEvent>> nonEmpty = new LinkedHashMap<>();
      got.forEach(
          (oid, b) -> {
            if (!b.isEmpty()) {
              nonEmpty.put(oid, b);
            }
          });
      for (var e : got.entrySet()) {
        List<ChangeEvent> b = e.getValue();
        Lsn t = target.get(e.getKey());
        if (b.isEmpty()) {
          drainedEmpty.add(e.getKey());
        }
        if (b.isEmpty()
            || (t != null && b.get(b.size() - 1).lsn().walPosition().compareTo(t) >= 0)) {
          pending.remove(e.getKey());
          drained.add(e.getKey());
        }
      }
      copied.addAll(nonEmpty.keySet());
      // The last pass commits the copy and ingested_lsn together (one commit fewer), unless the
      // drain must still be confirmed by the lag after the acknowledgments.
      Map<Long, Map.Entry<String, Lsn>> advance =
          pending.isEmpty() && !confirmDrainByLag
              ? advanceFor(sources, target, drained, copied, wanted)
              : Map.of();
      if (!nonEmpty.isEmpty() || !advance.isEmpty()) {
        events += commit(nonEmpty, advance);
        state.ingestProgress();
      }
      if (pending.isEmpty() && !confirmDrainByLag) {
        advanced = advance;
      }
    }
    if (advanced == null) {
      if (confirmDrainByLag) {
        // NATS: an empty poll does not prove that nothing is there; the lag (events not
        // acknowledged, and everything copied was acknowledged) does.
        Map<Long, CompletableFuture<Long>> lags = new LinkedHashMap<>();
        for (long oid : drainedEmpty) {
          lags.put(oid, log.lag(oid).toCompletableFuture());
        }
        for (var e : lags.entrySet()) {
          // Events held back (AckHoldback) count as lag without being anything new.
          if (e.getValue().get(60, TimeUnit.SECONDS) > holdback.heldEvents(e.getKey())) {
            drained.remove(e.getKey());
          }
        }
      }
      advanced = advanceFor(sources, target, drained, copied, wanted);
      if (!advanced.isEmpty()) {
        commit(Map.of(), advanced);
      }
    }
    long now = System.nanoTime();
    for (var s : sources) {
      ingested.put(s.oid(), s.ingested());
      if (s.capturedSince() != null && s.slotName() != null) {
        captured.add(s.oid());
      }
    }
    for (var e : advanced.entrySet()) {
      ingested.put(e.getKey(), e.getValue().getValue());
      lastAdvance.put(e.getKey(), now);
    }
    return new Result(events, ingested, captured, target, pending.isEmpty());
  }

  /**
   * The drained sources whose {@code ingested_lsn} moves to their slot's C: when changes were
   * copied, when a refresh asked, and otherwise about once a second.
   */
  private Map<Long, Map.Entry<String, Lsn>> advanceFor(
      List<TrackedSources.Source> sources,
      Map<Long, Lsn> target,
      Set<Long> drained,
      Set<Long> copied,
      Lsn wanted) {
    Map<Long, Map.Entry<String, Lsn>> advance = new HashMap<>();
    long now = System.nanoTime();
    for (var s : sources) {
      Lsn t = target.get(s.oid());
      if (t == null
          || !drained.contains(s.oid())
          || s.capturedSince() == null
          || t.compareTo(s.capturedSince()) < 0
          || (s.ingested() != null && t.compareTo(s.ingested()) <= 0)) {
        continue;
      }
      boolean asked =
          wanted != null && (s.ingested() == null || s.ingested().compareTo(wanted) < 0);
      boolean stale = now - lastAdvance.getOrDefault(s.oid(), 0L) > IDLE_ADVANCE_NANOS;
      if (copied.contains(s.oid()) || asked || stale) {
        advance.put(s.oid(), new AbstractMap.SimpleEntry<>(s.slotName(), t));
      }
    }
    return advance;
  }

  private Map<Long, List<ChangeEvent>> consumeAll(Set<Long> oids) throws Exception {
    Map<Long, CompletableFuture<List<ChangeEvent>>> futures = new LinkedHashMap<>();
    for (long oid : oids) {
      futures.put(oid, log.consume(oid, Lsn.ZERO).toCompletableFuture());
    }
    CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new))
        .get(60, TimeUnit.SECONDS);
    Map<Long, List<ChangeEvent>> out = new LinkedHashMap<>();
    for (var e : futures.entrySet()) {
      out.put(e.getKey(), e.getValue().join());
    }
    return out;
  }

  /**
   * Copies the batches and advances {@code ingested_lsn} in one fenced transaction ({@link
   * IngestTransaction}); then holds back the batches' acknowledgments until the standbys have the
   * commit ({@link AckHoldback}) and sends those that may go.
   */
  private long commit(
      Map<Long, List<ChangeEvent>> batches, Map<Long, Map.Entry<String, Lsn>> advance)
      throws SQLException {
    IngestTransaction.Committed done = IngestTransaction.commit(conn, lease, batches, advance);
    if (!batches.isEmpty()) {
      Map<Long, Lsn> lastLsn = new HashMap<>();
      Map<Long, Integer> sizes = new HashMap<>();
      batches.forEach(
          (oid, b) -> {
            lastLsn.put(oid, b.get(b.size() - 1).lsn());
            sizes.put(oid, b.size());
          });
      holdback.hold(
          done.count(), done.standbys().insertPosition(), lastLsn, sizes, System.nanoTime());
      release(done.standbys(), confirmDrainByLag);
    }
    return done.events();
  }

  /**
   * Sends the acknowledgments the standbys' positions allow. Not waited for unless {@code wait}
   * (the lag is read next): an acknowledgment that is lost only means the events come again and are
   * dropped by the buffer's key. One acknowledgment per source at a time.
   */
  private void release(StandbyFlush standbys, boolean wait) {
    AckHoldback.Release r = holdback.release(standbys, System.nanoTime());
    if (r.unprotectedCount() >= 0) {
      lostCommits.committed(r.unprotectedCount());
      // Logged when the kind of reason changes, and a stuck standby at most once a minute.
      String kind = standbys.streaming() == 0 ? "none" : standbys.hidden() > 0 ? "hidden" : "stuck";
      long now = System.nanoTime();
      if (!kind.equals(lastUnprotected) || now - lastUnprotectedLog > IDLE_ADVANCE_NANOS * 60) {
        lastUnprotected = kind;
        lastUnprotectedLog = now;
        if (kind.equals("none")) {
          LOG.debug("acknowledging ingest commits at once: {}", r.why());
        } else {
          LOG.warn(
              "acknowledging ingest commits without the standbys' flush: {}; a failover to a"
                  + " standby without them makes every stream table reading them recompute",
              r.why());
        }
      }
    }
    for (var e : r.acknowledge().entrySet()) {
      finishAck(e.getKey());
      acks.put(e.getKey(), log.acknowledge(e.getKey(), e.getValue()).toCompletableFuture());
    }
    if (wait) {
      r.acknowledge().keySet().forEach(this::finishAck);
    }
  }

  private void finishAck(long oid) {
    CompletableFuture<Void> previous = acks.remove(oid);
    if (previous != null) {
      try {
        previous.get(60, TimeUnit.SECONDS);
      } catch (Exception ex) {
        // Not acknowledged means delivered again later, and dropped by the buffer's key.
        LOG.warn("acknowledging source {} failed: {}", oid, ex.getMessage());
      }
    }
  }
}
