package io.pgtrickle.worker.refresh;

import java.util.HashSet;
import java.util.Set;

/** What changed in a stream table's sources since its last refresh, by its frontier. */
final class SourceChanges {

  private SourceChanges() {}

  /**
   * The base sources whose columns changed ({@link ColumnFingerprint}).
   *
   * @param sources the sources as the refresh read them
   * @param before the frontier of the last refresh
   * @return their OIDs
   */
  static Set<Long> schema(RefreshCatalog.Sources sources, Frontier before) {
    Set<Long> changed = new HashSet<>();
    for (long oid : sources.base()) {
      if (ColumnFingerprint.changed(before.schemas().get(oid), sources.fingerprints().get(oid))) {
        changed.add(oid);
      }
    }
    return changed;
  }

  /**
   * The stream-table sources whose contents changed: their data LSN is not the frontier's.
   *
   * @param sources the sources as the refresh read them
   * @param before the frontier of the last refresh
   * @return their OIDs
   */
  static Set<Long> upstream(RefreshCatalog.Sources sources, Frontier before) {
    Set<Long> changed = new HashSet<>();
    sources
        .upstream()
        .forEach(
            (oid, dataLsn) -> {
              if (dataLsn != null && !dataLsn.equals(before.upstream().get(oid))) {
                changed.add(oid);
              }
            });
    return changed;
  }
}
