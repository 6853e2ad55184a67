package io.pgtrickle.worker.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker's Prometheus metrics:
 *
 * <ul>
 *   <li>{@code pg_trickle_refreshes_total{mode, outcome}}: refreshes by what ran (FULL,
 *       DIFFERENTIAL, NO_DATA) and how it ended (completed, failed);
 *   <li>{@code pg_trickle_refresh_duration_seconds{mode}}: claim to commit, histogram;
 *   <li>{@code pg_trickle_refresh_delta_rows}: source changes per refresh window, histogram;
 *   <li>{@code pg_trickle_refresh_phase_seconds{mode, phase}}: time per phase of completed
 *       refreshes (sum, count, max), see {@code RefreshPhases};
 *   <li>{@code pg_trickle_freshness_lag_seconds{stream_table}}: source commit to visible in the
 *       stream table, per source transaction, histogram; {@code
 *       pg_trickle_freshness_lag_ms{stream_table}} its p95 over the last minute or so as a plain
 *       gauge (metrics adapter), NaN without a sample in that minute ({@link FreshnessLags});
 *   <li>{@code pg_trickle_stream_table_lag_ms{stream_table}}: milliseconds since each stream table
 *       was last refreshed, as of the scrape ({@link StreamTableLags}; metrics adapter);
 *   <li>{@code pg_trickle_parallel_queue_depth}: due stream tables nobody has claimed;
 *   <li>{@code pg_trickle_stream_tables{status}}: stream tables in the catalog by status
 *       (INITIALIZING, ACTIVE, SUSPENDED, ERROR; every status always present, 0 when none), as of
 *       the scheduler's last catalog read; every worker reports the same figures;
 *   <li>{@code pg_trickle_worker_cpu_percent}: this process's CPU use;
 *   <li>{@code pg_trickle_refreshes_in_progress}, {@code pg_trickle_refresh_waits_total} (refreshes
 *       that gave up waiting for the CDC or the ingest);
 *   <li>{@code pg_trickle_refresh_retries_total{sqlstate}}: refreshes given up for a transient
 *       reason and tried again later (serialization failure 40001, deadlock 40P01, lock timeout
 *       55P03, a lost connection 08xxx, ...; {@code none} without an SQLSTATE): not failures, so
 *       they count no {@code consecutive_errors}; this is where a stream table kept from refreshing
 *       by them shows, beside its staleness ({@link #COMMON_RETRY_SQLSTATES} present at 0 from the
 *       start, others from their first retry);
 *   <li>{@code pg_trickle_refresh_ingest_wait_seconds}: a refresh's wait for the slots and the
 *       ingest to reach its LSN, histogram; {@code pg_trickle_refresh_cdc_wait_seconds} the part of
 *       it until every slot had confirmed that LSN (the CDC's part; the rest is the ingest's);
 *   <li>{@code pg_trickle_ingest_events_total}, {@code pg_trickle_ingest_rounds_total}, {@code
 *       pg_trickle_ingest_round_seconds} (sum, count and max of the rounds' durations), {@code
 *       pg_trickle_ingest_lease_held} (1 on the lease holder), {@code pg_trickle_ingest_lag_bytes}
 *       (WAL between the server's position and the furthest-behind source's {@code ingested_lsn}).
 * </ul>
 */
public final class WorkerMetrics {

  /**
   * The SQLSTATEs of the transient refresh failures seen most, whose retry series exist at 0 from
   * the start (serialization failure, deadlock, lock timeout), so that an alert on their increase
   * has a series before the first retry (Prometheus' advice for known label values).
   */
  static final List<String> COMMON_RETRY_SQLSTATES = List.of("40001", "40P01", "55P03");

  /** The statuses of {@code pgtrickle.pgt_stream_tables.status} (its CHECK constraint). */
  static final List<String> STREAM_TABLE_STATUSES =
      List.of("INITIALIZING", "ACTIVE", "SUSPENDED", "ERROR");

  private final MeterRegistry registry;
  private final Tracer tracer;
  private final Map<String, Counter> refreshes = new ConcurrentHashMap<>();
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();
  private final FreshnessLags freshness;
  private final Map<String, Timer> phases = new ConcurrentHashMap<>();
  private final Map<String, Counter> retries = new ConcurrentHashMap<>();
  private final DistributionSummary deltaRows;
  private final AtomicLong queueDepth = new AtomicLong();
  private final Map<String, AtomicLong> streamTablesByStatus = new ConcurrentHashMap<>();
  private final AtomicLong inProgress = new AtomicLong();
  private final AtomicLong ingestLagBytes = new AtomicLong(-1);
  private final Counter waits;
  private final Timer ingestWait;
  private final Timer cdcWait;
  private final Counter ingestEvents;
  private final Counter ingestRounds;
  private final Timer ingestRoundTime;
  private final StreamTableLags streamTableLags;

  /**
   * Registers the metrics.
   *
   * @param registry the registry /metrics renders
   * @param state where the lease gauge reads from
   * @param cpu the CPU sampler
   */
  public WorkerMetrics(MeterRegistry registry, WorkerState state, CpuSampler cpu) {
    this(registry, state, cpu, OpenTelemetry.noop().getTracer("io.pgtrickle.worker"));
  }

  /**
   * Registers the metrics; refreshes become spans of {@code tracer}.
   *
   * @param registry the registry /metrics renders (and, with OTLP export, the OTLP bridge)
   * @param state where the lease gauge reads from
   * @param cpu the CPU sampler
   * @param tracer the program's tracer, a no-op one without OTLP export
   */
  public WorkerMetrics(MeterRegistry registry, WorkerState state, CpuSampler cpu, Tracer tracer) {
    this.registry = registry;
    this.tracer = tracer;
    streamTableLags = new StreamTableLags(registry, System::nanoTime);
    freshness = new FreshnessLags(registry, System::nanoTime);
    deltaRows =
        DistributionSummary.builder("pg_trickle_refresh_delta_rows")
            .description("source changes in a refresh window")
            .publishPercentileHistogram()
            .minimumExpectedValue(1.0)
            .maximumExpectedValue(1e9)
            .register(registry);
    waits =
        Counter.builder("pg_trickle_refresh_waits")
            .description("refreshes that gave up waiting for the CDC consumers or the ingest")
            .register(registry);
    ingestWait =
        Timer.builder("pg_trickle_refresh_ingest_wait")
            .description("a refresh's wait for the slots and the ingest to reach its LSN")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(5))
            .distributionStatisticExpiry(Duration.ofMinutes(1))
            .register(registry);
    cdcWait =
        Timer.builder("pg_trickle_refresh_cdc_wait")
            .description(
                "the part of a refresh's wait for the slots and the ingest until every slot had"
                    + " confirmed its LSN (the rest was the ingest)")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(5))
            .distributionStatisticExpiry(Duration.ofMinutes(1))
            .register(registry);
    ingestEvents =
        Counter.builder("pg_trickle_ingest_events")
            .description("change events this worker copied from the change log into change buffers")
            .register(registry);
    ingestRounds =
        Counter.builder("pg_trickle_ingest_rounds")
            .description("ingest rounds this worker ran as the ingest lease holder")
            .register(registry);
    ingestRoundTime =
        Timer.builder("pg_trickle_ingest_round")
            .description(
                "how long an ingest round took (reading the slots' positions, the change log,"
                    + " copying into the buffers)")
            .register(registry);
    for (String status : STREAM_TABLE_STATUSES) {
      streamTableStatusGauge(status);
    }
    for (String sqlstate : COMMON_RETRY_SQLSTATES) {
      retryCounter(sqlstate);
    }
    Gauge.builder("pg_trickle_parallel_queue_depth", queueDepth, AtomicLong::get)
        .description("due stream tables nobody has claimed yet")
        .register(registry);
    Gauge.builder("pg_trickle_refreshes_in_progress", inProgress, AtomicLong::get)
        .description("refreshes this worker is running now")
        .register(registry);
    // Held strongly: nothing else keeps the sampler, and a gauge on a collected object is NaN.
    Gauge.builder("pg_trickle_worker_cpu_percent", cpu, CpuSampler::percent)
        .description("this process's CPU use, percent of one core")
        .strongReference(true)
        .register(registry);
    Gauge.builder("pg_trickle_ingest_lease_held", state, s -> s.holdsIngestLease() ? 1 : 0)
        .description("1 while this worker holds the ingest lease, else 0")
        .register(registry);
    Gauge.builder("pg_trickle_ingest_lag_bytes", ingestLagBytes, AtomicLong::get)
        .description(
            "WAL bytes between the server's position and the furthest-behind source's ingested"
                + " LSN; -1 before the first measurement")
        .register(registry);
  }

  /**
   * Records a finished refresh.
   *
   * @param mode FULL, DIFFERENTIAL or NO_DATA
   * @param outcome completed or failed
   * @param elapsed claim to commit (or to the failure)
   */
  public void refresh(String mode, String outcome, Duration elapsed) {
    refreshes
        .computeIfAbsent(
            mode + "/" + outcome,
            k ->
                Counter.builder("pg_trickle_refreshes")
                    .description("refreshes by what ran (mode) and how they ended (outcome)")
                    .tag("mode", mode)
                    .tag("outcome", outcome)
                    .register(registry))
        .increment();
    durations
        .computeIfAbsent(
            mode,
            k ->
                Timer.builder("pg_trickle_refresh_duration")
                    .description("a refresh from its claim to its commit (or failure)")
                    .tag("mode", mode)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofHours(1))
                    .register(registry))
        .record(elapsed);
  }

  /**
   * Records where a completed refresh spent its time, as {@code
   * pg_trickle_refresh_phase_seconds{mode, phase}} (sum and count: the mean per phase).
   *
   * @param mode FULL, DIFFERENTIAL, REINITIALIZE or NO_DATA
   * @param nanos nanoseconds per phase
   */
  public void refreshPhases(String mode, Map<String, Long> nanos) {
    nanos.forEach(
        (phase, n) ->
            phases
                .computeIfAbsent(
                    mode + "/" + phase,
                    k ->
                        Timer.builder("pg_trickle_refresh_phase")
                            .description("time a refresh spent in one phase")
                            .tag("mode", mode)
                            .tag("phase", phase)
                            .register(registry))
                .record(Duration.ofNanos(n)));
  }

  /**
   * Records the number of source changes a refresh window held.
   *
   * @param rows changes in the window
   */
  public void deltaRows(long rows) {
    deltaRows.record(rows);
  }

  /**
   * Records how long source transactions took to become visible in a stream table.
   *
   * @param streamTable {@code schema.name}
   * @param lagsMillis one value per source transaction of the refresh window
   */
  public void freshness(String streamTable, long[] lagsMillis) {
    freshness.record(streamTable, lagsMillis);
  }

  /**
   * Takes the scheduler's read of every stream table's lag (see {@link StreamTableLags#update}).
   *
   * @param lagMsAtRead {@code schema.name} to milliseconds since its last refresh, at the read
   * @param readNanos {@link System#nanoTime} just before the read
   * @param validFor how long the read stands; the series are NaN after it
   */
  public void streamTableLags(Map<String, Double> lagMsAtRead, long readNanos, Duration validFor) {
    streamTableLags.update(lagMsAtRead, readNanos, validFor);
  }

  /**
   * Sets {@code pg_trickle_stream_tables{status}} from the scheduler's catalog read.
   *
   * @param byStatus stream tables per status; a status not in it is 0
   */
  public void streamTableStatuses(Map<String, Long> byStatus) {
    byStatus.keySet().forEach(this::streamTableStatusGauge);
    streamTablesByStatus.forEach((status, n) -> n.set(byStatus.getOrDefault(status, 0L)));
  }

  private AtomicLong streamTableStatusGauge(String status) {
    return streamTablesByStatus.computeIfAbsent(
        status,
        k -> {
          AtomicLong n = new AtomicLong();
          Gauge.builder("pg_trickle_stream_tables", n, AtomicLong::get)
              .description("stream tables in the catalog by status, at the scheduler's last read")
              .tag("status", k)
              .register(registry);
          return n;
        });
  }

  public void queueDepth(long due) {
    queueDepth.set(due);
  }

  public void refreshStarted() {
    inProgress.incrementAndGet();
  }

  public void refreshEnded() {
    inProgress.decrementAndGet();
  }

  /**
   * Records how long a refresh waited for the slots and the ingest, and the CDC's part of it.
   *
   * @param waited the whole wait
   * @param cdcNanos how long of it passed before every slot had confirmed the refresh's LSN (the
   *     rest was the ingest's), measured by the wait's polls (at the ingest's commits, or 1, 2, 4,
   *     ... 20 ms apart, so high by up to a poll interval); negative when the slots never confirmed
   *     it (the wait gave up)
   */
  public void ingestWait(Duration waited, long cdcNanos) {
    ingestWait.record(waited);
    if (cdcNanos >= 0) {
      cdcWait.record(Duration.ofNanos(cdcNanos));
    }
  }

  public void waitGaveUp() {
    waits.increment();
  }

  /**
   * Records a refresh given up for a transient reason, to be tried again.
   *
   * @param sqlstate the error's SQLSTATE, or {@code null} if it had none
   */
  public void refreshRetried(String sqlstate) {
    retryCounter(sqlstate == null ? "none" : sqlstate).increment();
  }

  private Counter retryCounter(String sqlstate) {
    return retries.computeIfAbsent(
        sqlstate,
        k ->
            Counter.builder("pg_trickle_refresh_retries")
                .description(
                    "refreshes given up for a transient reason (by SQLSTATE) and tried again")
                .tag("sqlstate", k)
                .register(registry));
  }

  /**
   * One ingest round.
   *
   * @param events the change events it copied
   * @param took how long it took
   */
  public void ingestRound(long events, Duration took) {
    ingestRounds.increment();
    ingestRoundTime.record(took);
    ingestEvents.increment(events);
  }

  public void ingestLagBytes(long bytes) {
    ingestLagBytes.set(bytes);
  }

  /** The tracer refreshes are spans of (a no-op one without OTLP export). */
  public Tracer tracer() {
    return tracer;
  }
}
