package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.Lsn;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The LSNs refreshes asked the ingest to reach ({@link IngestDemand}) and not reached yet, each
 * until it expires (a refresh gives up waiting after {@code refresh-wait-ms}). The ingest paces its
 * rounds by the lowest one: it is the refresh that has waited longest, and every higher one needs
 * at least as much. Not thread-safe: the ingest loop uses it.
 */
final class IngestRequests {

  private final long ttlNanos;
  private final TreeMap<Lsn, Long> expiries = new TreeMap<>();

  /**
   * @param ttlNanos how long a request is kept, in nanoseconds
   */
  IngestRequests(long ttlNanos) {
    this.ttlNanos = ttlNanos;
  }

  /**
   * Notes requests.
   *
   * @param asked the LSNs asked for (empty: none)
   * @param nowNanos {@link System#nanoTime()}
   */
  void add(Collection<Lsn> asked, long nowNanos) {
    for (Lsn l : asked) {
      expiries.put(l, nowNanos + ttlNanos);
    }
  }

  /**
   * Forgets the requests every captured source reached (all of them when no source is captured:
   * there is nothing to wait for).
   *
   * @param ingested per captured source, its {@code ingested_lsn} ({@code null}: none yet)
   */
  void reached(Map<Long, Lsn> ingested) {
    if (ingested.isEmpty()) {
      expiries.clear();
      return;
    }
    Lsn lowest = null;
    for (Lsn l : ingested.values()) {
      if (l == null) {
        return;
      }
      lowest = lowest == null ? l : (l.compareTo(lowest) < 0 ? l : lowest);
    }
    if (lowest != null) {
      expiries.headMap(lowest, true).clear();
    }
  }

  /**
   * The lowest request that has not expired.
   *
   * @param nowNanos {@link System#nanoTime()}
   * @return it, or {@code null} if none waits
   */
  Lsn lowest(long nowNanos) {
    expire(nowNanos);
    return expiries.isEmpty() ? null : expiries.firstKey();
  }

  /**
   * The highest request that has not expired.
   *
   * @param nowNanos {@link System#nanoTime()}
   * @return it, or {@code null} if none waits
   */
  Lsn highest(long nowNanos) {
    expire(nowNanos);
    return expiries.isEmpty() ? null : expiries.lastKey();
  }

  private void expire(long nowNanos) {
    expiries.values().removeIf(expiry -> nowNanos - expiry > 0);
  }
}
