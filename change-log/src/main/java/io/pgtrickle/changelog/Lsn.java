package io.pgtrickle.changelog;

import java.util.Objects;

/**
 * A PostgreSQL log sequence number: an unsigned 64-bit WAL position, written as two hexadecimal
 * 32-bit halves separated by a slash ({@code "0/1A3B4C0"}), exactly as {@code pg_lsn} prints it.
 *
 * <p>Instances are immutable and ordered as unsigned numbers, so they compare the way PostgreSQL
 * compares {@code pg_lsn} values.
 */
public final class Lsn implements Comparable<Lsn> {

  /** The smallest LSN, {@code 0/0}; every real change has a larger one. */
  public static final Lsn ZERO = new Lsn(0);

  private final long value;

  private Lsn(long value) {
    this.value = value;
  }

  /**
   * Returns the LSN with the given raw value, read as an unsigned 64-bit number.
   *
   * @param value the position as PostgreSQL stores it
   * @return the LSN
   */
  public static Lsn of(long value) {
    return value == 0 ? ZERO : new Lsn(value);
  }

  /**
   * Parses the text form {@code "X/Y"}, each half one to eight hexadecimal digits.
   *
   * @param text the LSN as PostgreSQL prints it
   * @return the LSN
   * @throws IllegalArgumentException if {@code text} is not of that form
   */
  public static Lsn parse(String text) {
    Objects.requireNonNull(text, "lsn");
    int slash = text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1 || text.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException("lsn '" + text + "' is not of the form X/Y (hex/hex)");
    }
    long high = parseHalf(text, text.substring(0, slash));
    long low = parseHalf(text, text.substring(slash + 1));
    return of((high << 32) | low);
  }

  private static long parseHalf(String text, String half) {
    if (half.length() > 8) {
      throw new IllegalArgumentException("lsn '" + text + "' has a half longer than 8 hex digits");
    }
    for (int i = 0; i < half.length(); i++) {
      if (Character.digit(half.charAt(i), 16) < 0) {
        throw new IllegalArgumentException("lsn '" + text + "' is not hexadecimal");
      }
    }
    return Long.parseLong(half, 16);
  }

  /**
   * Returns the raw unsigned value.
   *
   * @return the position as a 64-bit number (compare with {@link Long#compareUnsigned})
   */
  public long value() {
    return value;
  }

  /**
   * Returns the next position, for consuming strictly after this one.
   *
   * @return this LSN plus one
   */
  public Lsn next() {
    if (value == -1L) {
      throw new ArithmeticException("lsn FFFFFFFF/FFFFFFFF has no successor");
    }
    return of(value + 1);
  }

  /**
   * Returns the larger of two LSNs.
   *
   * @param a one LSN
   * @param b another LSN
   * @return {@code a} if it is not smaller than {@code b}, else {@code b}
   */
  public static Lsn max(Lsn a, Lsn b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /**
   * Whether this LSN is strictly after {@code other}.
   *
   * @param other the LSN to compare with
   * @return {@code true} if this one is larger
   */
  public boolean isAfter(Lsn other) {
    return compareTo(other) > 0;
  }

  @Override
  public int compareTo(Lsn other) {
    return Long.compareUnsigned(value, other.value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Lsn other && other.value == value;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value);
  }

  @Override
  public String toString() {
    return Long.toHexString(value >>> 32).toUpperCase()
        + "/"
        + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
  }
}
