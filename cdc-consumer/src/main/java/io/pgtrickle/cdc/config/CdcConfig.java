package io.pgtrickle.cdc.config;

import io.pgtrickle.telemetry.OtlpSettings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The consumer's settings, validated. Built by {@link ConfigParser} from environment variables and
 * command-line flags; see the module README for each one.
 *
 * @param sourceUrl JDBC URL of the source database, through a name that follows the primary
 * @param sourceUser the replication user
 * @param sourcePassword its password, or {@code null}; never logged
 * @param tables the tables always captured ({@code --tables}), {@code schema.table}; may be empty
 *     when the catalog is followed
 * @param publication the publication name (this consumer's own: tables are added to and removed
 *     from it)
 * @param slot the replication slot name
 * @param changeLogUri the change log's URI (may hold a password; logged redacted)
 * @param httpPort the port of /healthz, /readyz and /metrics (0: any free port)
 * @param maxLagBytes the slot lag above which /healthz fails
 * @param statusInterval how often status updates reach the server even when idle
 * @param maxBatchEvents the most events one publish round carries
 * @param reconnectMin the first wait after a lost connection or failed publish
 * @param reconnectMax the longest wait between attempts
 * @param failoverSlot whether to create the slot with {@code failover = true} (PostgreSQL 17+); on
 *     17+ also whether copies of it on standbys that are not synchronized are dropped
 * @param dropStandbySlotCopies before PostgreSQL 17: whether copies of the slot found on standbys
 *     are dropped (a former primary's own copy, kept when the slot is in Patroni's {@code
 *     ignore_slots}, as the operator configures it); false where Patroni permanent slots or
 *     pg_failover_slots keep copies there on purpose
 * @param sourceMembers a DNS name that resolves to every member of the source cluster (its headless
 *     Service), or "" if not given: where stale copies of the slot are looked for
 * @param catalog whether the captured tables follow {@code pgtrickle.pgt_change_tracking}
 * @param catalogPoll how often the catalog (and the captured tables' identity) is checked
 * @param ordinal this consumer's index among {@code replicas}: it claims the catalog rows whose
 *     table OID modulo {@code replicas} equals it
 * @param replicas how many consumers share the catalog's rows (the StatefulSet's replicas)
 * @param httpAddress the address /healthz, /readyz and /metrics listen on, "" for every interface
 * @param otlp where traces and metrics are exported over OTLP (the standard OTEL_* variables,
 *     telemetry/README.md); empty: no export (a pod's own address where pods share a host's
 *     network, as on the test bed)
 * @param stuckTimeout how long the slot's confirmed position may stand still while the source has
 *     WAL for it before the probes call the consumer stuck
 * @param asyncStandbyHold without synchronous replication, how long a batch waits at most for the
 *     most advanced streaming physical standby to flush it before it is published anyway (counted
 *     as unprotected); zero: no wait
 * @param silenceLimit how long the replication connection may receive nothing, with the slot's poll
 *     not finding its walsender on the server either, before it is taken for dead and opened again;
 *     also how long a batch may wait at the synchronous-commit gate before the session ends
 */
public record CdcConfig(
    String sourceUrl,
    String sourceUser,
    String sourcePassword,
    List<String> tables,
    String publication,
    String slot,
    String changeLogUri,
    int httpPort,
    long maxLagBytes,
    Duration statusInterval,
    int maxBatchEvents,
    Duration reconnectMin,
    Duration reconnectMax,
    boolean failoverSlot,
    boolean dropStandbySlotCopies,
    String sourceMembers,
    boolean catalog,
    Duration catalogPoll,
    int ordinal,
    int replicas,
    Duration stuckTimeout,
    Duration asyncStandbyHold,
    Duration silenceLimit,
    String httpAddress,
    Optional<OtlpSettings> otlp) {

  /**
   * The settings for logs: everything but secrets.
   *
   * @return a printable description
   */
  public String describe() {
    return "source="
        + redactUrl(sourceUrl)
        + " user="
        + sourceUser
        + " tables="
        + tables
        + " publication="
        + publication
        + " slot="
        + slot
        + " changelog="
        + redactUrl(changeLogUri)
        + " http_port="
        + httpPort
        + (httpAddress.isEmpty() ? "" : " http_address=" + httpAddress)
        + " max_lag_bytes="
        + maxLagBytes
        + " failover_slot="
        + failoverSlot
        + " drop_standby_slot_copies="
        + dropStandbySlotCopies
        + " source_members="
        + sourceMembers
        + " catalog="
        + catalog
        + " catalog_poll_ms="
        + catalogPoll.toMillis()
        + " ordinal="
        + ordinal
        + " replicas="
        + replicas
        + " stuck_timeout_ms="
        + stuckTimeout.toMillis()
        + " async_standby_hold_ms="
        + asyncStandbyHold.toMillis()
        + " silence_limit_ms="
        + silenceLimit.toMillis()
        + " otlp="
        + otlp.map(OtlpSettings::describe).orElse("off");
  }

  /** Removes {@code user:password@} and {@code password=...} from a URL. */
  static String redactUrl(String url) {
    return url.replaceAll("//[^/@]*:[^/@]*@", "//***@").replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  @Override
  public String toString() {
    return "CdcConfig{" + describe() + "}";
  }
}
