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
 */
public record SourceWindow(
    long oid, Lsn from, Lsn to, boolean captured, long changes, boolean truncated, boolean gap) {

  /**
   * Whether the changes of this window can be applied differentially.
   *
   * @return true if the window is known and holds neither TRUNCATE nor GAP
   */
  public boolean applicable() {
    return captured && from != null && !truncated && !gap;
  }
}
