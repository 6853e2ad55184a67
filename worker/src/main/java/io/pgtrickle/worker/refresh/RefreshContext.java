package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a maintenance plan gets from the runtime inside a refresh transaction.
 *
 * <p>The transaction is {@code REPEATABLE READ}; its snapshot shows every source as of {@link
 * #snapshotLsn} exactly (CONTRACTS.md §4). A window's rows were copied into the change buffer by
 * the ingest partly after the snapshot was taken, so the snapshot does not show all of them: an
 * apply reads each changed source's window from the relation the runtime names ({@link
 * #windowRelations}: the buffer for the part the snapshot shows, and the rest inline or copied; see
 * {@link WindowRelations}).
 *
 * @param streamTable the catalog row, as locked by this transaction
 * @param snapshotLsn L: the WAL insert position taken right after the snapshot
 * @param snapshot the snapshot, {@code pg_current_snapshot()} text
 * @param windows per base source OID: its window
 * @param windowRelations per changed base source OID: where an apply reads its window's rows (empty
 *     unless the refresh applies)
 * @param schemaChanged base sources whose columns changed since the last refresh
 * @param upstreamChanged stream-table sources whose contents changed since the last refresh
 * @param exclusive whether a recompute holds the stream table's {@code ACCESS EXCLUSIVE} lock and
 *     may replace its contents with {@code TRUNCATE} ({@link ExclusiveRecompute}); false for an
 *     apply, or when a reader holds the table, another stream table reads it, it is published...
 */
public record RefreshContext(
    StreamTable streamTable,
    Lsn snapshotLsn,
    String snapshot,
    Map<Long, SourceWindow> windows,
    Map<Long, WindowRelation> windowRelations,
    Set<Long> schemaChanged,
    Set<Long> upstreamChanged,
    boolean exclusive) {

  /**
   * A relation holding a window's rows, with the buffer's columns {@code lsn, seq, new_row,
   * old_row} (and possibly more).
   *
   * @param sql a table name or a parenthesized subquery, quoted
   * @param parameters the values of its own {@code ?} placeholders, in order
   */
  public record WindowRelation(String sql, List<Object> parameters) {
    public WindowRelation {
      parameters = List.copyOf(parameters);
    }
  }
}
