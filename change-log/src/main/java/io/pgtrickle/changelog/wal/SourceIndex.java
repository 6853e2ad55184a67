package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.Lsn;

/**
 * Where the durable events of one source are: parallel arrays in LSN order (the writer appends in
 * LSN order per source), with the oldest entries dropped as their segments are deleted. Only events
 * that were fsync'd are here, so a consumer never sees an event that could be lost.
 */
final class SourceIndex {

  /** One event's place in the log. */
  record Entry(Lsn lsn, long segment, long position, int length) {}

  private Lsn[] lsns = new Lsn[16];
  private long[] segments = new long[16];
  private long[] positions = new long[16];
  private int[] lengths = new int[16];
  private int head;
  private int tail;
  private Lsn high;

  synchronized void add(Lsn lsn, long segment, long position, int length) {
    if (tail == lsns.length) {
      grow();
    }
    lsns[tail] = lsn;
    segments[tail] = segment;
    positions[tail] = position;
    lengths[tail] = length;
    tail++;
    raiseHigh(lsn);
  }

  /** Remembers an LSN as published without an entry (its segment is already deleted). */
  synchronized void raiseHigh(Lsn lsn) {
    if (high == null || lsn.isAfter(high)) {
      high = lsn;
    }
  }

  /** The highest LSN ever appended, or {@code null}. */
  synchronized Lsn high() {
    return high;
  }

  private void grow() {
    int live = tail - head;
    int capacity = live * 2 < lsns.length ? lsns.length : lsns.length * 2;
    Lsn[] l2 = new Lsn[capacity];
    System.arraycopy(lsns, head, l2, 0, live);
    lsns = l2;
    segments = compact(segments, capacity, live);
    positions = compact(positions, capacity, live);
    int[] l = new int[capacity];
    System.arraycopy(lengths, head, l, 0, live);
    lengths = l;
    head = 0;
    tail = live;
  }

  private long[] compact(long[] a, int capacity, int live) {
    long[] copy = new long[capacity];
    System.arraycopy(a, head, copy, 0, live);
    return copy;
  }

  /** Index of the first live entry with an LSN strictly above {@code lsn}. */
  private int firstAbove(Lsn lsn) {
    int lo = head;
    int hi = tail;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (!lsns[mid].isAfter(lsn)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Up to {@code max} entries with an LSN above {@code after} and at least {@code from}. */
  synchronized Entry[] read(Lsn after, Lsn from, int max) {
    int start = Math.max(firstAbove(after), firstAtLeast(from));
    int n = Math.min(max, tail - start);
    Entry[] out = new Entry[Math.max(n, 0)];
    for (int i = 0; i < out.length; i++) {
      int k = start + i;
      out[i] = new Entry(lsns[k], segments[k], positions[k], lengths[k]);
    }
    return out;
  }

  /** Index of the first live entry with an LSN at or above {@code lsn}. */
  private int firstAtLeast(Lsn lsn) {
    int lo = head;
    int hi = tail;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (lsns[mid].compareTo(lsn) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** How many live entries have an LSN above {@code acked}. */
  synchronized long countAbove(Lsn acked) {
    return tail - firstAbove(acked);
  }

  /** Drops the entries that live in segments up to {@code segment}, which were deleted. */
  synchronized void dropUpTo(long segment) {
    while (head < tail && segments[head] <= segment) {
      lsns[head] = null;
      head++;
    }
    if (head == tail) {
      head = 0;
      tail = 0;
    }
  }
}
