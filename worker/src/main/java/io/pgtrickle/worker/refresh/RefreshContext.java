package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import java.util.Map;
import java.util.Set;

/**
 * What a maintenance plan gets from the runtime inside a refresh transaction.
 *
 * <p>The transaction is {@code REPEATABLE READ}; its snapshot shows every source as of {@link
 * #snapshotLsn} exactly (CONTRACTS.md §4). The change buffers are <b>not</b> read through it: their
 * rows for the window were committed by the ingest after the snapshot was taken, so the runtime
 * copies each window into a temporary table ({@link #windowTables}, same columns as the buffer,
 * {@code ON COMMIT DELETE ROWS}, kept for the connection) when the plan asks for them ({@link
 * MaintenancePlan#needsWindowRows}).
 *
 * @param streamTable the catalog row, as locked by this transaction
 * @param snapshotLsn L: the WAL insert position taken right after the snapshot
 * @param snapshot the snapshot, {@code pg_current_snapshot()} text
 * @param windows per base source OID: its window
 * @param windowTables per base source OID: the temporary table holding its window's rows (empty
 *     unless the plan needs them and applies them)
 * @param schemaChanged base sources whose columns changed since the last refresh
 * @param upstreamChanged stream-table sources whose contents changed since the last refresh
 * @param windowCopyNanos how long copying {@link #windowTables} took (part of a differential
 *     refresh's cost: AUTO's cost model counts it)
 * @param exclusive whether a recompute holds the stream table's {@code ACCESS EXCLUSIVE} lock and
 *     may replace its contents with {@code TRUNCATE} ({@link ExclusiveRecompute}); false for an
 *     apply, or when a reader holds the table, another stream table reads it, it is published...
 */
public record RefreshContext(
    StreamTable streamTable,
    Lsn snapshotLsn,
    String snapshot,
    Map<Long, SourceWindow> windows,
    Map<Long, String> windowTables,
    Set<Long> schemaChanged,
    Set<Long> upstreamChanged,
    long windowCopyNanos,
    boolean exclusive) {}
