package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.plan.DefiningQuery;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;

/**
 * What every apply statement is built from: the query, its storage layout, the storage table's
 * name, the changed sources and the relations holding their windows.
 *
 * @param query the defining query
 * @param layout the storage layout
 * @param target the storage table, already quoted ({@link Sql#qualified})
 * @param changed indexes of the sources with changes in the window
 * @param windows relation (quoted) holding each changed source's changes, by source index
 * @param serverVersion {@code server_version_num} of the server the statement runs on: MERGE from
 *     150000 (else data-modifying CTEs), MERGE inside a data-modifying CTE with {@code RETURNING
 *     merge_action()} from 170000
 */
public record ApplyContext(
    DefiningQuery query,
    StorageLayout layout,
    String target,
    SortedSet<Integer> changed,
    Map<Integer, String> windows,
    int serverVersion) {

  /** Whether the apply is a MERGE (PostgreSQL 15 and later). */
  public boolean merge() {
    return serverVersion >= 150000;
  }

  /**
   * Whether the statement itself returns its counts ({@link ApplyCounts}): every apply but a MERGE
   * on PostgreSQL 15 and 16, which has no {@code RETURNING} (COUNTED layouts never use MERGE).
   */
  public boolean returnsCounts() {
    return layout.mode() == StorageLayout.Mode.COUNTED || !merge() || serverVersion >= 170000;
  }

  /**
   * {@code WITH <source deltas>, } prefix entries, in source order: netted where {@link
   * DeltaBuilder#nettedSources} says so, unless {@code positions} (the delta carries the change
   * positions of a chain, see {@link BagApplySql}).
   */
  public List<String> sourceCtes(boolean positions) {
    Set<Integer> net = positions ? Set.of() : DeltaBuilder.nettedSources(query.root(), changed);
    List<String> out = new ArrayList<>();
    for (int i : changed) {
      out.add(
          SourceDeltaSql.cte(
              i,
              query.sources().get(i),
              windows.get(i),
              query.usedColumns().get(i),
              net.contains(i)));
    }
    return out;
  }
}
