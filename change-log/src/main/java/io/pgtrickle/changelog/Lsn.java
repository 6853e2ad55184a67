package io.pgtrickle.changelog;

import java.util.Objects;

/**
 * A position in the change log: a PostgreSQL log sequence number (an unsigned 64-bit WAL position,
 * written as two hexadecimal 32-bit halves separated by a slash, {@code "0/1A3B4C0"}, exactly as
 * {@code pg_lsn} prints it) plus an optional sub-position {@link #seq()}.
 *
 * <p>The sub-position exists because one transaction commits many rows at one commit LSN: the CDC
 * consumer gives a transaction's changes the commit LSN and their index in the transaction, so
 * every event of a source still has its own, increasing position, and the same one when PostgreSQL
 * sends the transaction again. Most positions have sub-position 0; their text is just the LSN. A
 * non-zero sub-position is written after a dot in decimal: {@code "0/1A3B4C0.7"}.
 *
 * <p>Instances are immutable and ordered by the LSN as an unsigned number (the way PostgreSQL
 * compares {@code pg_lsn} values), then by the sub-position.
 */
public final class Lsn implements Comparable<Lsn> {

  /** The smallest LSN, {@code 0/0}; every real change has a larger one. */
  public static final Lsn ZERO = new Lsn(0, 0);

  private final long value;
  private final int seq;

  private Lsn(long value, int seq) {
    this.value = value;
    this.seq = seq;
  }

  /**
   * Returns the LSN with the given raw value, read as an unsigned 64-bit number.
   *
   * @param value the position as PostgreSQL stores it
   * @return the LSN, with sub-position 0
   */
  public static Lsn of(long value) {
    return value == 0 ? ZERO : new Lsn(value, 0);
  }

  /**
   * Returns the position {@code seq} after the WAL position {@code value}.
   *
   * @param value the WAL position as PostgreSQL stores it
   * @param seq the sub-position, 0 or more
   * @return the position
   * @throws IllegalArgumentException if {@code seq} is negative
   */
  public static Lsn of(long value, int seq) {
    if (seq < 0) {
      throw new IllegalArgumentException("lsn sub-position must not be negative: " + seq);
    }
    return seq == 0 ? of(value) : new Lsn(value, seq);
  }

  /**
   * Parses the text form {@code "X/Y"}, each half one to eight hexadecimal digits, optionally
   * followed by a dot and a decimal sub-position ({@code "X/Y.N"}).
   *
   * @param text the LSN as PostgreSQL prints it, or as {@link #toString()} writes it
   * @return the LSN
   * @throws IllegalArgumentException if {@code text} is not of that form
   */
  public static Lsn parse(String text) {
    Objects.requireNonNull(text, "lsn");
    int dot = text.indexOf('.');
    if (dot >= 0) {
      return of(parse(text.substring(0, dot)).value, parseSeq(text, text.substring(dot + 1)));
    }
    int slash = text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1 || text.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException("lsn '" + text + "' is not of the form X/Y (hex/hex)");
    }
    long high = parseHalf(text, text.substring(0, slash));
    long low = parseHalf(text, text.substring(slash + 1));
    return of((high << 32) | low);
  }

  private static int parseSeq(String text, String digits) {
    if (digits.isEmpty()
        || digits.length() > 10
        || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("lsn '" + text + "' has a malformed sub-position");
    }
    long seq = Long.parseLong(digits);
    if (seq > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("lsn '" + text + "' has a sub-position above 2^31-1");
    }
    return (int) seq;
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
   * Returns the raw unsigned WAL position, without the sub-position.
   *
   * @return the position as a 64-bit number (compare with {@link Long#compareUnsigned})
   */
  public long value() {
    return value;
  }

  /**
   * Returns the sub-position: the index of a change among those sharing this WAL position.
   *
   * @return 0 or more
   */
  public int seq() {
    return seq;
  }

  /**
   * Returns this position without its sub-position: the LSN as PostgreSQL knows it.
   *
   * @return the WAL position, sub-position 0
   */
  public Lsn walPosition() {
    return seq == 0 ? this : of(value);
  }

  /**
   * Returns the smallest position after this one, for consuming strictly after it: the same WAL
   * position with the next sub-position.
   *
   * @return this LSN with its sub-position plus one
   */
  public Lsn next() {
    if (seq == Integer.MAX_VALUE) {
      throw new ArithmeticException("lsn " + this + " has no successor");
    }
    return new Lsn(value, seq + 1);
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
    int byWal = Long.compareUnsigned(value, other.value);
    return byWal != 0 ? byWal : Integer.compare(seq, other.seq);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Lsn other && other.value == value && other.seq == seq;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value) * 31 + seq;
  }

  /**
   * Returns the WAL position as {@code pg_lsn} prints it, {@code "X/Y"}, without the sub-position.
   *
   * @return the text
   */
  public String walText() {
    byte[] text = new byte[WAL_TEXT_MAX];
    int n = writeWalText(text, 0);
    return new String(text, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** The longest {@link #walText()}: two halves of 8 hex digits and the slash. */
  static final int WAL_TEXT_MAX = 17;

  /**
   * Writes {@link #walText()} as ASCII bytes (the JSON writer's hot path: no string on the way).
   *
   * @param out room for {@link #WAL_TEXT_MAX} bytes from {@code at}
   * @param at where the text starts
   * @return where it ends
   */
  int writeWalText(byte[] out, int at) {
    // Upper-case hex without leading zeros, as pg_lsn prints it.
    int n = hex(out, at, value >>> 32);
    out[n++] = '/';
    return hex(out, n, value & 0xFFFFFFFFL);
  }

  private static int hex(byte[] out, int at, long half) {
    int digits = Math.max(1, (64 - Long.numberOfLeadingZeros(half) + 3) / 4);
    for (int i = digits - 1; i >= 0; i--) {
      out[at + i] = (byte) "0123456789ABCDEF".charAt((int) (half & 0xF));
      half >>>= 4;
    }
    return at + digits;
  }

  @Override
  public String toString() {
    return seq == 0 ? walText() : walText() + "." + seq;
  }
}
