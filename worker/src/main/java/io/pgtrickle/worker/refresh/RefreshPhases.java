package io.pgtrickle.worker.refresh;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where one refresh attempt spends its time: the time since the previous lap, per named phase (the
 * opening round trip, the plan lookup, the wait for the CDC and the ingest, the window checks, the
 * decision, window copies, the lock of an exclusive recompute, the plan's statements, the records
 * and the commit). Read with {@code pg_trickle_refresh_phase_seconds{mode, phase}} and the worker's
 * debug log. Not thread-safe: one per attempt.
 */
final class RefreshPhases {

  private final Map<String, Long> nanos = new LinkedHashMap<>();
  private long mark = System.nanoTime();

  /** Ends phase {@code phase} now (time since the previous lap; a repeated name adds up). */
  void lap(String phase) {
    long now = System.nanoTime();
    nanos.merge(phase, now - mark, Long::sum);
    mark = now;
  }

  /**
   * Ends phase {@code phase} {@code nanosAgo} before now: the time since then goes to the next
   * phase (a wait that ended with the statement whose time is the next phase's).
   */
  void lapBefore(String phase, long nanosAgo) {
    long end = System.nanoTime() - nanosAgo;
    nanos.merge(phase, Math.max(0, end - mark), Long::sum);
    mark = Math.max(mark, end);
  }

  /** Nanoseconds per phase, in the order the phases first ended. */
  Map<String, Long> nanos() {
    return nanos;
  }

  /** {@code snapshot 0.8 ms, catalog 1.2 ms, ...}. */
  String describe() {
    StringJoiner j = new StringJoiner(", ");
    nanos.forEach((k, v) -> j.add(String.format(Locale.ROOT, "%s %.1f ms", k, v / 1e6)));
    return j.toString();
  }
}
