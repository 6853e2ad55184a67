package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import java.util.HashMap;
import java.util.Map;

/** The frontier a refresh writes (CONTRACTS.md §4; the format in {@link Frontier}). */
final class NextFrontier {

  private NextFrontier() {}

  /**
   * The frontier after a refresh at snapshot LSN {@code l}.
   *
   * @param windows per base source: its window
   * @param sources the sources as the snapshot shows them
   * @param decision what the refresh does (NO_DATA keeps {@code data_lsn})
   * @param before the stored frontier
   * @param l the snapshot's LSN
   * @param fingerprints per base source: its columns' fingerprint
   * @return the new frontier
   */
  static Frontier of(
      Map<Long, SourceWindow> windows,
      RefreshCatalog.Sources sources,
      RefreshDecision decision,
      Frontier before,
      Lsn l,
      Map<Long, String> fingerprints) {
    boolean noData = "NO_DATA".equals(decision.action());
    Map<Long, Lsn> positions = new HashMap<>();
    for (SourceWindow w : windows.values()) {
      // Every change of the source committed below L is in the snapshot, captured or not;
      // whether the next window is known is decided then, from captured_since_lsn.
      positions.put(w.oid(), l);
    }
    Map<Long, Lsn> upstreamSeen = new HashMap<>();
    // A stream-table source's position is how far its contents (as seen in S) are fresh: the
    // lowest position of its own frontier, not L. So "every source at or past L" means the
    // contents reflect every change to the base tables behind them committed below L, through
    // chains of stream tables too (refresh_stream_table and readiness checks rely on that); an
    // upstream table that was not refreshed since gets no entry past its own.
    positions.putAll(sources.upstreamThrough());
    for (long oid : sources.gone()) {
      // A gone stream-table source the recompute could read (a relation created again under its
      // name) is read as a plain table, as it is now: in full, at S.
      positions.put(oid, l);
    }
    sources
        .upstream()
        .forEach(
            (oid, dataLsn) -> {
              if (dataLsn != null) {
                upstreamSeen.put(oid, dataLsn);
              }
            });
    return new Frontier(positions, noData ? before.dataLsn() : l, upstreamSeen, fingerprints);
  }
}
