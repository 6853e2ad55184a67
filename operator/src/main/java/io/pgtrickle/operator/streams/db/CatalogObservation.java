package io.pgtrickle.operator.streams.db;

import java.util.List;

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
 * @param streamTablesInError how many stream tables are in status {@code ERROR}: the workers
 *     stopped refreshing them after {@code max-consecutive-errors} failed refreshes in a row (or at
 *     once for an error meaning the query no longer fits its sources), until a fix and {@code
 *     pgtrickle.resume_stream_table}
 * @param maxIngestLagBytes the largest {@code pg_current_wal_lsn() - ingested_lsn} over the
 *     captured sources in {@code pgtrickle.pgt_change_tracking} (WAL the workers' ingest has not
 *     copied into the change buffers yet), or null when none has been ingested yet
 * @param inError the first {@link CatalogReader#ERRORS_SHOWN} of them by name, each {@code
 *     schema.name: last_error_message} (the message cut to {@link CatalogReader#ERROR_CHARS}
 *     characters)
 */
public record CatalogObservation(
    boolean catalogInstalled,
    int streamTables,
    Long worstFreshnessLagMs,
    String worstFreshnessTable,
    List<String> slots,
    Long maxSlotLagBytes,
    int streamTablesInError,
    List<String> inError,
    Long maxIngestLagBytes) {

  public CatalogObservation {
    slots = List.copyOf(slots);
    inError = List.copyOf(inError);
  }

  /** An observation with no stream table in ERROR. */
  public CatalogObservation(
      boolean catalogInstalled,
      int streamTables,
      Long worstFreshnessLagMs,
      String worstFreshnessTable,
      List<String> slots,
      Long maxSlotLagBytes) {
    this(
        catalogInstalled,
        streamTables,
        worstFreshnessLagMs,
        worstFreshnessTable,
        slots,
        maxSlotLagBytes,
        0,
        List.of(),
        null);
  }
}
