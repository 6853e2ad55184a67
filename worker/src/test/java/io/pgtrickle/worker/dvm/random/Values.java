package io.pgtrickle.worker.dvm.random;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Small value domains with NULLs, so that rows collide, groups merge and split, join keys match and
 * stop matching. Floats are dyadic (sums exact in any order); numerics mix scales and NaN.
 */
final class Values {

  private Values() {}

  private static final List<List<String>> N =
      List.of(
          List.of("0", "1.5", "2.50", "-3.125", "10", "0.1", "'NaN'", "1.50"),
          List.of("1.5", "2.25", "-0.125", "3", "'NaN'", "0.5"),
          List.of("0", "3", "-7", "12", "5", "1"),
          List.of("0.5", "1.25", "-2", "3", "1024", "'Infinity'"));

  /** Literal {@code index} of column a.n in the variant of schema {@code s} (NULL for null). */
  static String n(String schema, Integer index) {
    if (index == null) {
      return "NULL";
    }
    List<String> values = N.get(schema.charAt(schema.length() - 1) - '0');
    return values.get(index % values.size());
  }

  static Arbitrary<Integer> id() {
    return Arbitraries.integers().between(1, 12);
  }

  static Arbitrary<Integer> small() {
    return Arbitraries.integers().between(-1, 4).injectNull(0.15);
  }

  static Arbitrary<Integer> v() {
    return Arbitraries.integers().between(-2, 6).injectNull(0.15);
  }

  static Arbitrary<String> text() {
    return Arbitraries.of("x", "y", "z", "xy").injectNull(0.15);
  }

  static Arbitrary<Integer> nIndex() {
    return Arbitraries.integers().between(0, 7).injectNull(0.15);
  }

  static Arbitrary<String> f() {
    return Arbitraries.of("0.5", "1.25", "-2", "3").injectNull(0.15);
  }

  static Arbitrary<String> z() {
    return Arbitraries.of("1.50", "2.00", "-0.75", "10").injectNull(0.15);
  }
}
