package io.pgtrickle.worker.dvm.parse;

/**
 * A construct of the defining query that the differential engine does not maintain; the query is
 * refreshed FULL instead. {@link #construct()} names it the way a user writes it, e.g. {@code
 * "LIMIT"}, {@code "window function"}, {@code "aggregate string_agg"}.
 */
public final class Unsupported extends RuntimeException {

  private final String construct;

  public Unsupported(String construct) {
    this(construct, null);
  }

  public Unsupported(String construct, String detail) {
    super(detail == null ? construct : construct + ": " + detail);
    this.construct = construct;
  }

  /** The construct that prevents differential maintenance. */
  public String construct() {
    return construct;
  }

  /** The construct, ranked as the front door ranks it. */
  public Blocker blocker() {
    return Blocker.of(construct);
  }
}
