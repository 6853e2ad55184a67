package io.pgtrickle.changelog.support;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Repeated measurements of one figure (events per second, a ratio): the benchmarks print the median
 * with the minimum and maximum, because one run on a shared machine moves by 2x.
 */
public final class Spread {

  private final List<Double> values = new ArrayList<>();

  /** Adds one measurement. */
  public void add(double value) {
    values.add(value);
  }

  /** The measurements in the order they were added. */
  public List<Double> values() {
    return List.copyOf(values);
  }

  /** How many measurements there are. */
  public int count() {
    return values.size();
  }

  /** The median (the mean of the middle two for an even count); NaN when empty. */
  public double median() {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = sorted();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The smallest measurement; NaN when empty. */
  public double min() {
    return values.isEmpty() ? Double.NaN : sorted().get(0);
  }

  /** The largest measurement; NaN when empty. */
  public double max() {
    return values.isEmpty() ? Double.NaN : sorted().get(values.size() - 1);
  }

  private List<Double> sorted() {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted;
  }

  /**
   * {@code median (min-max, n=N)} with {@code format} applied to each figure, e.g. {@code "%.0f"}
   * gives {@code 71262 (65001-80110, n=5)}.
   */
  public String describe(String format) {
    return String.format(Locale.ROOT, format, median())
        + " ("
        + String.format(Locale.ROOT, format, min())
        + "-"
        + String.format(Locale.ROOT, format, max())
        + ", n="
        + values.size()
        + ")";
  }
}
