package io.pgtrickle.worker.config;

import io.pgtrickle.telemetry.OtlpSettings;
import java.time.Duration;
import java.util.Optional;

/**
 * The worker's settings, validated. Built by {@link ConfigParser} from environment variables and
 * command-line flags; the module README describes each one.
 *
 * @param databaseUrl JDBC URL of the database holding the sources, the stream tables and the
 *     catalog ({@code jdbc:postgresql://host:port/db}), through a name that follows the primary
 * @param databaseUser the user the worker connects as
 * @param databasePassword its password, or {@code null}; never logged
 * @param changeLogUri the change log's URI with the worker's defaults filled in (consumer name,
 *     batch, poll time); may hold a password, logged redacted
 * @param httpPort the port of /healthz, /readyz and /metrics (0: any free port)
 * @param workerId this worker's name in leases, locks and {@code application_name}
 * @param maxParallelRefreshes how many refreshes this worker runs at once
 * @param leaseDuration how long the ingest lease lasts without a heartbeat (renewed every third)
 * @param schedulerInterval how often the catalog is read for due stream tables and manual requests
 * @param ingestInterval the longest pause between two ingest rounds when nobody waits
 * @param refreshWaitTimeout how long a refresh waits for the CDC and the ingest to reach its
 *     snapshot's LSN before it gives up (and is tried again later)
 * @param drainTimeout how long SIGTERM waits for refreshes in progress before cancelling them
 * @param maxConsecutiveErrors failed refreshes in a row after which a stream table goes to ERROR
 * @param defaultSchedule the schedule of a 'calculated' stream table that no stream table reads
 * @param bufferCleanupInterval how often applied change-buffer rows are deleted
 * @param stuckAfter how long a loop may go without completing a round before /healthz fails
 * @param httpAddress the address /healthz, /readyz and /metrics listen on, "" for every interface
 *     (the test bed's pods share the host's network and set their pod IP here)
 * @param historyRetention refresh-history rows older than this are deleted ({@link Duration#ZERO}:
 *     kept whatever their age)
 * @param historyMaxRows refresh-history rows kept per stream table at most (0: no limit)
 * @param historyCleanupInterval how often the ingest lease holder deletes history rows past either
 * @param otlp where traces and metrics are exported over OTLP (the standard OTEL_* variables,
 *     telemetry/README.md); empty: no export
 */
public record WorkerConfig(
    String databaseUrl,
    String databaseUser,
    String databasePassword,
    String changeLogUri,
    int httpPort,
    String workerId,
    int maxParallelRefreshes,
    Duration leaseDuration,
    Duration schedulerInterval,
    Duration ingestInterval,
    Duration refreshWaitTimeout,
    Duration drainTimeout,
    int maxConsecutiveErrors,
    Duration defaultSchedule,
    Duration bufferCleanupInterval,
    Duration stuckAfter,
    String httpAddress,
    Duration historyRetention,
    long historyMaxRows,
    Duration historyCleanupInterval,
    Optional<OtlpSettings> otlp) {

  /**
   * The settings for logs: everything but secrets.
   *
   * @return a printable description
   */
  public String describe() {
    return "database="
        + redactUrl(databaseUrl)
        + " user="
        + databaseUser
        + " changelog="
        + redactUrl(changeLogUri)
        + " http_port="
        + httpPort
        + (httpAddress.isEmpty() ? "" : " http_address=" + httpAddress)
        + " worker_id="
        + workerId
        + " max_parallel_refreshes="
        + maxParallelRefreshes
        + " lease_ms="
        + leaseDuration.toMillis()
        + " scheduler_interval_ms="
        + schedulerInterval.toMillis()
        + " ingest_interval_ms="
        + ingestInterval.toMillis()
        + " refresh_wait_ms="
        + refreshWaitTimeout.toMillis()
        + " drain_timeout_ms="
        + drainTimeout.toMillis()
        + " max_consecutive_errors="
        + maxConsecutiveErrors
        + " default_schedule="
        + defaultSchedule
        + " buffer_cleanup_ms="
        + bufferCleanupInterval.toMillis()
        + " stuck_after_ms="
        + stuckAfter.toMillis()
        + " history_retention="
        + (historyRetention.isZero() ? "forever" : historyRetention)
        + " history_max_rows="
        + historyMaxRows
        + " history_cleanup_ms="
        + historyCleanupInterval.toMillis()
        + " otlp="
        + otlp.map(OtlpSettings::describe).orElse("off");
  }

  /**
   * Removes {@code user:password@} and {@code password=...} from a URL.
   *
   * @param url a JDBC URL or change-log URI
   * @return the URL without secrets
   */
  public static String redactUrl(String url) {
    return url.replaceAll("//[^/@]*:[^/@]*@", "//***@").replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  @Override
  public String toString() {
    return "WorkerConfig{" + describe() + "}";
  }
}
