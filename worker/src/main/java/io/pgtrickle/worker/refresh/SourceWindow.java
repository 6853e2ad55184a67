package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;

/**
 * One base source's window in a refresh: its changes with {@code from <= lsn < to}, where {@code
 * from} is the stream table's frontier for the source and {@code to} the snapshot's LSN.
 *
 * @param oid the source table's OID
 * @param from the frontier, or {@code null} if the window is not known (first refresh, source
 *     added, or the capture began after the frontier)
 * @param to the refresh snapshot's LSN
 * @param captured whether the CDC captures the source from at or below {@code to}; if not, the
 *     window is unknown and the new frontier leaves the source out
 * @param changes change rows in the window (0 when {@code from} is unknown)
 * @param truncated whether the window holds a TRUNCATE
 * @param gap whether the window holds a GAP marker (changes may be missing)
 * @param rowEstimate the source's estimated rows ({@code pg_class.reltuples}), -1 if unknown: AUTO
 *     compares the window's changes with it before anything is loaded
 * @param keyOnly {@code null} if every UPDATE and DELETE of the window has its whole old row;
 *     otherwise the source's REPLICA IDENTITY as it is now ({@code DEFAULT}, {@code USING INDEX},
 *     {@code NOTHING}, {@code FULL}, or {@code ?} if unknown), because some of them carry only the
 *     key (events marked {@code old_key_only}): their old rows cannot be retracted
 */
public record SourceWindow(
    long oid,
    Lsn from,
    Lsn to,
    boolean captured,
    long changes,
    boolean truncated,
    boolean gap,
    double rowEstimate,
    String keyOnly) {

  /** A window whose source's size is not known. */
  public SourceWindow(
      long oid, Lsn from, Lsn to, boolean captured, long changes, boolean truncated, boolean gap) {
    this(oid, from, to, captured, changes, truncated, gap, -1, null);
  }

  /** A window whose changes, if any, all have their whole old rows. */
  public SourceWindow(
      long oid,
      Lsn from,
      Lsn to,
      boolean captured,
      long changes,
      boolean truncated,
      boolean gap,
      double rowEstimate) {
    this(oid, from, to, captured, changes, truncated, gap, rowEstimate, null);
  }

  /**
   * This window with the source's estimated rows.
   *
   * @param rows {@code pg_class.reltuples}, or {@code null} if unknown
   * @return a copy
   */
  public SourceWindow withRowEstimate(Double rows) {
    return new SourceWindow(
        oid, from, to, captured, changes, truncated, gap, rows == null ? -1 : rows, keyOnly);
  }

  /**
   * This window with key-only changes.
   *
   * @param identity the source's REPLICA IDENTITY now, or {@code null} if every change has its
   *     whole old row
   * @return a copy
   */
  public SourceWindow withKeyOnly(String identity) {
    return new SourceWindow(
        oid, from, to, captured, changes, truncated, gap, rowEstimate, identity);
  }

  /**
   * Whether the changes of this window can be applied differentially.
   *
   * @return true if the window is known and holds neither TRUNCATE nor GAP nor a change whose old
   *     image is only the key
   */
  public boolean applicable() {
    return captured && from != null && !truncated && !gap && keyOnly == null;
  }
}
