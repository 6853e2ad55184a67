package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The windows of a refresh (CONTRACTS.md §4, step 3 of {@link Refresher}): per base source, the
 * buffered changes with {@code frontier <= lsn < L}, their counts and markers, whether every one of
 * them is visible in the snapshot S, and how an apply reads their rows ({@link Rows}). Pure: what
 * to ask the second connection ({@link #asks}) and what its answers mean ({@link #of}).
 *
 * <p>The rows of a window were copied into the buffer by the ingest, partly before S was taken
 * (those S shows, and an apply reads them from the buffer itself) and partly after (the rest, which
 * travels to the refresh transaction). The ingest commits a source's rows in the order of their
 * {@code (lsn, seq)}, so the part S shows is the window's first rows, up to the last one S shows;
 * the refresh checks that: the rows up to it, counted on the second connection, must be as many as
 * S shows. If they are not, S's part is not read from the buffer and the whole window travels.
 */
final class RefreshWindows {

  private RefreshWindows() {}

  /**
   * How an apply reads a changed source's window.
   *
   * @param oid the source
   * @param visible whether the part S shows is read from the change buffer ({@link
   *     WindowRelations#view}); if not, the rest is the whole window
   * @param inline the rest as a JSON array, or {@code null} when it is copied
   * @param from the window's lower bound
   * @param after the last row S shows, after which the rest begins ({@code null}: the whole window)
   * @param afterSeq its seq
   */
  record Rows(long oid, boolean visible, String inline, Lsn from, Lsn after, int afterSeq) {

    /**
     * Whether the rest is copied into a temporary table ({@link WindowReader#copy}).
     *
     * @return true unless it travels inline
     */
    boolean copied() {
      return inline == null;
    }
  }

  /**
   * The windows and what else the second connection found.
   *
   * @param windows per base source: its window
   * @param rows per base source with changes in a known window: how an apply reads them
   * @param commitTimes the windows' sampled commit times (epoch ms)
   */
  record Read(Map<Long, SourceWindow> windows, Map<Long, Rows> rows, List<Long> commitTimes) {}

  /**
   * The window's lower bound: the frontier, when the capture began at or below it (changes of a
   * source committed before its capture began are in no buffer); {@code null} if not known.
   */
  static Lsn from(RefreshCatalog.Sources sources, Frontier before, long oid) {
    Lsn from = before.source(oid);
    boolean captured = sources.captured().contains(oid);
    if (from != null && captured && sources.capturedSince().get(oid).compareTo(from) > 0) {
      return null;
    }
    return from;
  }

  /**
   * What to read on the second connection.
   *
   * @param sources the sources as S shows them
   * @param before the stored frontier
   * @param l the snapshot's LSN
   * @param visible what S showed of each window, per source (absent: not read)
   * @param inlineMax how many rows of a window's rest may travel inline (0: none, the plan does not
   *     read rows)
   * @return the asks
   */
  static List<WindowReader.Ask> asks(
      RefreshCatalog.Sources sources,
      Frontier before,
      Lsn l,
      Map<Long, RefreshOpening.Visible> visible,
      int inlineMax) {
    List<WindowReader.Ask> asks = new ArrayList<>();
    for (long oid : sources.base()) {
      if (!sources.captured().contains(oid)) {
        continue;
      }
      Lsn from = from(sources, before, oid);
      if (from != null && from.compareTo(l) < 0) {
        RefreshOpening.Visible v = visible.get(oid);
        asks.add(
            new WindowReader.Ask(
                oid,
                from,
                l,
                v == null ? null : v.lastLsn(),
                v == null ? 0 : v.lastSeq(),
                inlineMax,
                true));
      } else if (from == null) {
        // A recompute (no known window) also ends at frontier L, so S must show every change
        // committed below L here too: one committed while S was taken would be in neither S nor
        // any later window (a differential table would keep it wrong for good).
        Lsn since = sources.capturedSince().get(oid);
        if (since != null && since.compareTo(l) < 0) {
          asks.add(new WindowReader.Ask(oid, since, l, null, 0, 0, false));
        }
      }
    }
    return asks;
  }

  /**
   * The windows, from the second connection's answers.
   *
   * @param sources the sources as S shows them
   * @param before the stored frontier
   * @param l the snapshot's LSN
   * @param visible what S showed of each window
   * @param found the answers to {@link #asks}
   * @return the windows, or {@code null} when a change committed below L is not visible in S (its
   *     commit was being made visible while S was taken): take a new snapshot
   */
  static Read of(
      RefreshCatalog.Sources sources,
      Frontier before,
      Lsn l,
      Map<Long, RefreshOpening.Visible> visible,
      Map<Long, WindowReader.Found> found) {
    Map<Long, SourceWindow> windows = new HashMap<>();
    Map<Long, Rows> rows = new HashMap<>();
    List<Long> commitTimes = new ArrayList<>();
    for (long oid : sources.base()) {
      boolean captured = sources.captured().contains(oid);
      Lsn from = from(sources, before, oid);
      WindowReader.Found f = found.get(oid);
      if (f != null && f.invisible() > 0) {
        return null;
      }
      if (captured && from != null && from.compareTo(l) < 0) {
        windows.put(
            oid,
            new SourceWindow(oid, from, l, true, f.changes(), f.truncated(), f.gap())
                .withRowEstimate(sources.rows().get(oid))
                .withKeyOnly(
                    f.keyOnly() == 0 ? null : sources.replicaIdentities().getOrDefault(oid, "?")));
        commitTimes.addAll(f.commitTimes());
        if (f.changes() > 0) {
          rows.put(oid, rows(oid, from, visible.get(oid), f));
        }
      } else {
        windows.put(
            oid,
            new SourceWindow(oid, from, l, captured, 0, false, false)
                .withRowEstimate(sources.rows().get(oid)));
      }
    }
    return new Read(windows, rows, commitTimes);
  }

  /** How the apply reads a window with changes. */
  static Rows rows(long oid, Lsn from, RefreshOpening.Visible v, WindowReader.Found f) {
    boolean split = v != null && v.count() == f.upToAfter();
    if (split) {
      String inline = f.restCount() == 0 ? "[]" : f.rest();
      return new Rows(oid, true, inline, from, v.lastLsn(), v.lastSeq());
    }
    // Nothing of the window was read in S, or S's part is not its first rows: the whole window
    // travels (inline only if it was asked for after nothing, i.e. S's part was not read).
    String inline = v == null ? f.rest() : null;
    return new Rows(oid, false, inline, from, null, 0);
  }
}
