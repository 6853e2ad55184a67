package io.pgtrickle.adapter.pipeline;

import java.util.Arrays;
import java.util.Optional;

/**
 * The metrics the adapter serves, where each comes from and how a StreamTableCluster's value is
 * made from its pods' values (DESIGN.md §6, CONTRACTS.md §6, cdc-consumer/README.md).
 *
 * <ul>
 *   <li>Object metrics on a StreamTableCluster (and on a Deployment that belongs to one, by its
 *       label {@value PipelineNames#CLUSTER_LABEL}): every metric; the pipeline's figure.
 *   <li>Pods metrics ({@code pods/*?labelSelector=}): every metric, a pod's own figure (the largest
 *       of its series that match the metricLabelSelector).
 * </ul>
 *
 * Every metric is read from the pods' {@code /metrics}; the adapter has no other source (it reads
 * no database and no Secret but its own TLS Secret).
 */
public enum PipelineMetric {
  /**
   * CDC lag p95 in milliseconds (commit to acknowledged by the change log, over the consumers' last
   * minute), the worst CDC consumer: the HPA's Object metric of the workers.
   */
  CDC_LAG_P95_MS("pg_trickle_cdc_lag_p95_ms", Source.CDC, Aggregation.MAX, 60L),
  /** Due stream tables nobody has claimed; every worker sees the same queue, so the largest. */
  PARALLEL_QUEUE_DEPTH("pg_trickle_parallel_queue_depth", Source.WORKER, Aggregation.MAX, null),
  /** A worker's CPU use, percent of one core; the StreamTableCluster's value is the average. */
  WORKER_CPU_PERCENT("pg_trickle_worker_cpu_percent", Source.WORKER, Aggregation.AVERAGE, null),
  /**
   * Source commit to visible in a stream table, p95 in milliseconds over the last minute, per
   * stream table (series label {@code stream_table}); the worst.
   */
  FRESHNESS_LAG_MS("pg_trickle_freshness_lag_ms", Source.WORKER, Aggregation.MAX, 60L),
  /**
   * Milliseconds since each stream table was last refreshed, {@code
   * pgtrickle.pg_stat_pgtrickle.current_lag_ms} as of the scrape (series label {@code stream_table}
   * = {@code schema.name}; every worker reports every stream table from its own catalog read, and
   * errs high by at most the time since that read): per stream table the lowest of the workers'
   * figures (the freshest read), then the worst stream table.
   */
  STREAM_TABLE_LAG_MS(
      "pg_trickle_stream_table_lag_ms",
      Source.WORKER,
      Aggregation.WORST_SERIES_FRESHEST_READ,
      null);

  /** Where a metric is read. */
  public enum Source {
    /** The CDC consumers' {@code /metrics} (pods of component {@code cdc-consumer}). */
    CDC(PipelineNames.CDC_COMPONENT),
    /** The workers' {@code /metrics} (pods of component {@code worker}). */
    WORKER(PipelineNames.WORKER_COMPONENT);

    private final String component;

    Source(String component) {
      this.component = component;
    }

    /** The pods' {@code app.kubernetes.io/component} label. */
    public String component() {
      return component;
    }
  }

  /** How the values of several pods (or series) become one. */
  public enum Aggregation {
    /** The largest pod's value (a pod's value: the largest of its matching series). */
    MAX,
    /** The average of the pods' values. */
    AVERAGE,
    /**
     * Per series (same labels) the lowest of the pods' values, then the largest series: for figures
     * every pod measures of the same things, where each pod's figure is an upper bound.
     */
    WORST_SERIES_FRESHEST_READ
  }

  private final String metricName;
  private final Source source;
  private final Aggregation aggregation;
  private final Long windowSeconds;

  PipelineMetric(String metricName, Source source, Aggregation aggregation, Long windowSeconds) {
    this.metricName = metricName;
    this.source = source;
    this.aggregation = aggregation;
    this.windowSeconds = windowSeconds;
  }

  public String metricName() {
    return metricName;
  }

  public Source source() {
    return source;
  }

  public Aggregation aggregation() {
    return aggregation;
  }

  /** The window the value covers, or null for a point-in-time value. */
  public Long windowSeconds() {
    return windowSeconds;
  }

  /**
   * The metric of a name.
   *
   * @param name e.g. {@code pg_trickle_cdc_lag_p95_ms}
   * @return the metric, or empty if the adapter does not serve it
   */
  public static Optional<PipelineMetric> byName(String name) {
    return Arrays.stream(values()).filter(m -> m.metricName.equals(name)).findFirst();
  }
}
