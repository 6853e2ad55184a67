package io.pgtrickle.operator.streams.db;

/**
 * What the database says about a pipeline, read by {@link CatalogReader}.
 *
 * @param catalogInstalled whether {@code pgtrickle.pgt_stream_tables} exists (the workers install
 *     it when they first start)
 * @param streamTables how many stream tables the catalog holds
 * @param worstFreshnessLagMs the largest {@code now() - data_timestamp} over the populated stream
 *     tables, in milliseconds, or null when none is populated
 * @param worstFreshnessTable that table, {@code schema.name}, or null
 * @param slots the names of this pipeline's replication slots that exist, sorted
 * @param maxSlotLagBytes the largest {@code pg_current_wal_lsn() - confirmed_flush_lsn} over them,
 *     or null when there is none
 */
public record CatalogObservation(
    boolean catalogInstalled,
    int streamTables,
    Long worstFreshnessLagMs,
    String worstFreshnessTable,
    java.util.List<String> slots,
    Long maxSlotLagBytes) {}
