package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The windows of a refresh (CONTRACTS.md §4, step 3 of {@link Refresher}): per base source, the
 * buffered changes with {@code frontier <= lsn < L}, their counts and markers, and whether every
 * one of them is visible in the snapshot S.
 */
final class RefreshWindows {

  private RefreshWindows() {}

  /**
   * Reads the windows on the second connection (their rows were committed after S was taken).
   *
   * @param reader reads the change buffers
   * @param sources the stream table's sources as the snapshot shows them
   * @param before the stored frontier
   * @param l the snapshot's LSN
   * @param snapshot S, as {@code pg_current_snapshot()} text
   * @return per base source its window, or {@code null} when a change committed below L is not
   *     visible in S (its commit was being made visible while S was taken): take a new snapshot
   * @throws SQLException if the buffers cannot be read
   */
  static Map<Long, SourceWindow> read(
      WindowReader reader, RefreshCatalog.Sources sources, Frontier before, Lsn l, String snapshot)
      throws SQLException {
    Map<Long, SourceWindow> windows = new HashMap<>();
    for (long oid : sources.base()) {
      boolean captured = sources.captured().contains(oid);
      // The window is known only if the capture began at or below the frontier: changes of a
      // source committed before its capture began are in no buffer.
      Lsn from = before.source(oid);
      if (from != null && captured && sources.capturedSince().get(oid).compareTo(from) > 0) {
        from = null;
      }
      if (captured && from != null && from.compareTo(l) < 0) {
        long[] s = reader.stats(oid, from, l, snapshot);
        if (s[3] > 0) {
          return null; // a commit below L not visible in S yet
        }
        windows.put(oid, new SourceWindow(oid, from, l, true, s[0], s[1] > 0, s[2] > 0));
      } else {
        if (captured && from == null) {
          // A recompute (no known window) also ends at frontier L, so S must show every change
          // committed below L here too: one committed while S was taken would be in neither S
          // nor any later window (a differential table would keep it wrong for good).
          Lsn since = sources.capturedSince().get(oid);
          if (since != null
              && since.compareTo(l) < 0
              && reader.stats(oid, since, l, snapshot)[3] > 0) {
            return null;
          }
        }
        windows.put(oid, new SourceWindow(oid, from, l, captured, 0, false, false));
      }
    }
    return windows;
  }
}
