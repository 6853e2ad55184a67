package io.pgtrickle.operator.postgres.spec;

import io.pgtrickle.operator.api.MetricsSpec;
import io.pgtrickle.operator.api.PostgresCluster;

/**
 * The exporter's queries beyond its built-in metrics (prometheus-postgres-exporter's {@code
 * --extend.query-path}): replication lag in bytes and seconds on both sides, and the WAL position.
 * Each metric is named {@code <query>_<column>}, e.g. {@code pg_replica_replay_lag_bytes}.
 */
public final class ExporterQueries {

  public static final String FILE = "queries.yaml";

  private ExporterQueries() {}

  public static boolean enabled(PostgresCluster cluster) {
    MetricsSpec metrics = cluster.getSpec().getMetrics();
    return metrics != null && Boolean.TRUE.equals(metrics.getEnabled());
  }

  /** The queries file, YAML as the exporter reads it. */
  public static String render() {
    return """
        # Managed by the pg-trickle operator.
        pg_wal:
          query: >-
            SELECT CASE WHEN pg_is_in_recovery()
              THEN pg_wal_lsn_diff(COALESCE(pg_last_wal_replay_lsn(), '0/0'), '0/0')
              ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') END AS position_bytes
          metrics:
            - position_bytes:
                usage: "COUNTER"
                description: "WAL position in bytes: written on the primary, replayed on a replica"
        pg_replica:
          query: >-
            SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END AS is_replica,
              CASE WHEN pg_is_in_recovery()
                THEN GREATEST(0, pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()))
                ELSE 0 END AS replay_lag_bytes,
              CASE WHEN NOT pg_is_in_recovery()
                  OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()))
                END AS replay_lag_seconds
          metrics:
            - is_replica:
                usage: "GAUGE"
                description: "1 on a replica (in recovery), 0 on the primary"
            - replay_lag_bytes:
                usage: "GAUGE"
                description: "Replica: WAL received but not yet replayed, in bytes"
            - replay_lag_seconds:
                usage: "GAUGE"
                description: "Replica: age of the last replayed transaction while WAL waits to be replayed, in seconds"
        pg_replication:
          query: >-
            SELECT application_name,
              pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag_bytes,
              COALESCE(EXTRACT(EPOCH FROM replay_lag), 0) AS lag_seconds
            FROM pg_stat_replication WHERE NOT pg_is_in_recovery()
          metrics:
            - application_name:
                usage: "LABEL"
                description: "The standby's name (its pod)"
            - lag_bytes:
                usage: "GAUGE"
                description: "Primary: WAL a standby has not replayed yet, in bytes"
            - lag_seconds:
                usage: "GAUGE"
                description: "Primary: a standby's replay lag as PostgreSQL measures it, in seconds"
        """;
  }
}
