package io.pgtrickle.worker.dvm;

/**
 * AUTO's choice between a differential and a full refresh, from measured costs of this stream table
 * (never from a fixed fraction): the full refresh's duration, and the differential refresh's
 * duration per change row, both as moving averages (weight 1/2 on the newest). A differential
 * refresh is chosen unless its predicted duration (changes x measured cost per change) exceeds the
 * measured full refresh. Until a differential refresh has been measured, it is tried (the first
 * measurement teaches the model).
 *
 * <p>Not thread-safe: one instance per stream table, used by the worker that claims it. The runtime
 * may persist {@link #state()} (e.g. in its catalog) and restore it with {@link
 * #RefreshCostModel(State)}.
 */
public final class RefreshCostModel {

  /**
   * The model's memory.
   *
   * @param fullMs moving average of full refresh durations (ms), NaN if never measured
   * @param differentialMsPerChange moving average of differential refresh durations per change row
   *     (ms), NaN if never measured
   */
  public record State(double fullMs, double differentialMsPerChange) {}

  /** The verdict and why, for {@code pgt_refresh_history.refresh_reason}. */
  public record Decision(boolean full, String reason) {}

  private static final double WEIGHT = 0.5;

  private double fullMs;
  private double perChange;

  public RefreshCostModel() {
    this(new State(Double.NaN, Double.NaN));
  }

  public RefreshCostModel(State state) {
    this.fullMs = state.fullMs();
    this.perChange = state.differentialMsPerChange();
  }

  public State state() {
    return new State(fullMs, perChange);
  }

  /** The choice for a window of {@code changes} change rows (all sources together). */
  public Decision decide(long changes) {
    if (Double.isNaN(perChange)) {
      return new Decision(false, "differential: no differential refresh measured yet");
    }
    double predicted = perChange * changes;
    if (!Double.isNaN(fullMs) && predicted > fullMs) {
      return new Decision(
          true,
          String.format(
              java.util.Locale.ROOT,
              "full: predicted differential %.1f ms (%d changes x %.4f ms) > measured full %.1f ms",
              predicted,
              changes,
              perChange,
              fullMs));
    }
    return new Decision(
        false,
        String.format(
            java.util.Locale.ROOT,
            "differential: predicted %.1f ms (%d changes x %.4f ms) <= measured full %s ms",
            predicted,
            changes,
            perChange,
            Double.isNaN(fullMs)
                ? "unknown"
                : String.format(java.util.Locale.ROOT, "%.1f", fullMs)));
  }

  /** Records a full refresh that took {@code ms}. */
  public void recordFull(double ms) {
    fullMs = Double.isNaN(fullMs) ? ms : WEIGHT * ms + (1 - WEIGHT) * fullMs;
  }

  /** Records a differential refresh of {@code changes} change rows that took {@code ms}. */
  public void recordDifferential(long changes, double ms) {
    if (changes <= 0) {
      return;
    }
    double sample = ms / changes;
    perChange = Double.isNaN(perChange) ? sample : WEIGHT * sample + (1 - WEIGHT) * perChange;
  }
}
