package io.pgtrickle.worker.refresh;

import java.util.HashSet;
import java.util.Set;

/** What changed in a stream table's sources since its last refresh, by its frontier. */
final class SourceChanges {

  private SourceChanges() {}

  /**
   * The base sources whose columns changed ({@link ColumnFingerprint}), and the stream-table
   * sources that are gone ({@link RefreshCatalog.Sources#gone}). A dropped base source has no
   * columns any more, so it is in the set; so is a dropped stream-table source, which otherwise
   * looked unchanged (no {@code data_lsn} any more) and was refreshed NO_DATA every time, with its
   * frontier entry never advancing, so {@code refresh_stream_table} waited for ever. Either way the
   * refresh recomputes: the query fails on the missing relation (class 42: ERROR, naming it), or
   * reads the relation created again under its name.
   *
   * @param sources the sources as the refresh read them
   * @param before the frontier of the last refresh
   * @return their OIDs
   */
  static Set<Long> schema(RefreshCatalog.Sources sources, Frontier before) {
    Set<Long> changed = new HashSet<>(sources.gone());
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
