package io.pgtrickle.worker.dvm;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * AUTO's choice between a differential and a full refresh, from measured costs of this stream table
 * (never from a fixed fraction): the full refresh's duration, and the differential refresh's
 * duration per change row. Each is the minimum of the last {@value #WINDOW} measurements: delays on
 * a busy server only ever add time, so the minimum is the steadiest estimate of the real cost. A
 * differential refresh is chosen unless its predicted duration (changes x cost per change) exceeds
 * the full refresh's. Until a differential refresh has been measured, it is tried (the first
 * measurement teaches the model), and after {@value #EXPLORE_AFTER} full refreshes in a row it is
 * tried again, so that one slow measurement (a cold plan cache, a busy machine) does not decide
 * forever.
 *
 * <p>Not thread-safe: one instance per stream table, used by the worker that claims it. The runtime
 * may persist {@link #state()} (e.g. in its catalog) and restore it with {@link
 * #RefreshCostModel(State)}.
 */
public final class RefreshCostModel {

  /** Measurements remembered per kind. */
  static final int WINDOW = 4;

  /** Full refreshes chosen in a row after which a differential one is measured again. */
  static final int EXPLORE_AFTER = 8;

  private int fullsInARow;

  /**
   * The model's memory (ms), newest last.
   *
   * @param full recent full refresh durations
   * @param differentialPerChange recent differential refresh durations per change row
   */
  public record State(double[] full, double[] differentialPerChange) {}

  /** The verdict and why, for {@code pgt_refresh_history.refresh_reason}. */
  public record Decision(boolean full, String reason) {}

  private final Deque<Double> full = new ArrayDeque<>();
  private final Deque<Double> perChange = new ArrayDeque<>();

  public RefreshCostModel() {}

  public RefreshCostModel(State state) {
    for (double v : state.full()) {
      remember(full, v);
    }
    for (double v : state.differentialPerChange()) {
      remember(perChange, v);
    }
  }

  public State state() {
    return new State(
        full.stream().mapToDouble(Double::doubleValue).toArray(),
        perChange.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** The choice for a window of {@code changes} change rows (all sources together). */
  public Decision decide(long changes) {
    if (perChange.isEmpty()) {
      return new Decision(false, "differential: no differential refresh measured yet");
    }
    double cost = min(perChange);
    double predicted = cost * changes;
    if (!full.isEmpty() && predicted > min(full)) {
      if (++fullsInARow > EXPLORE_AFTER) {
        fullsInARow = 0;
        return new Decision(
            false,
            String.format(
                Locale.ROOT,
                "differential: measured again after %d full refreshes (predicted %.1f ms, full"
                    + " %.1f ms)",
                EXPLORE_AFTER,
                predicted,
                min(full)));
      }
      return new Decision(
          true,
          String.format(
              Locale.ROOT,
              "full: predicted differential %.1f ms (%d changes x %.4f ms) > measured full %.1f ms",
              predicted,
              changes,
              cost,
              min(full)));
    }
    fullsInARow = 0;
    return new Decision(
        false,
        String.format(
            Locale.ROOT,
            "differential: predicted %.1f ms (%d changes x %.4f ms) <= measured full %s",
            predicted,
            changes,
            cost,
            full.isEmpty() ? "(none yet)" : String.format(Locale.ROOT, "%.1f ms", min(full))));
  }

  /** Records a full refresh that took {@code ms}. */
  public void recordFull(double ms) {
    remember(full, ms);
  }

  /** Records a differential refresh of {@code changes} change rows that took {@code ms}. */
  public void recordDifferential(long changes, double ms) {
    if (changes > 0) {
      remember(perChange, ms / changes);
    }
  }

  private static void remember(Deque<Double> q, double v) {
    q.addLast(v);
    while (q.size() > WINDOW) {
      q.removeFirst();
    }
  }

  private static double min(Deque<Double> q) {
    return q.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }
}
