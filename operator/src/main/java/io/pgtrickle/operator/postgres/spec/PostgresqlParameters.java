package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.pgtrickle.operator.api.PostgresCluster;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * PostgreSQL parameters of a cluster: defaults sized from the container's memory, with {@code
 * spec.postgresqlParams} merged over them (names lower-cased, as PostgreSQL compares them).
 * Parameters that Patroni or the operator must own are not accepted from users; {@link
 * ParameterCheck} refuses names and values the cluster's major would not take.
 */
public final class PostgresqlParameters {

  /**
   * Owned by Patroni (ports, paths, replication wiring, recovery) or by the operator (archiving
   * with pgBackRest, TLS files). Setting them would break failover, backups or the pod layout; the
   * recovery ones Patroni would also drop from the parameters it writes (its {@code
   * recovery_parameters}), so they could never take effect.
   */
  public static final Set<String> OWNED =
      Set.of(
          "port",
          "listen_addresses",
          "data_directory",
          "config_file",
          "hba_file",
          "ident_file",
          "unix_socket_directories",
          "cluster_name",
          "hot_standby",
          "wal_log_hints",
          "primary_conninfo",
          "primary_slot_name",
          "restore_command",
          "archive_command",
          "archive_mode",
          "recovery_target",
          "recovery_target_time",
          "recovery_target_lsn",
          "recovery_target_xid",
          "recovery_target_name",
          "recovery_target_action",
          "recovery_target_inclusive",
          "recovery_target_timeline",
          "recovery_min_apply_delay",
          "recovery_end_command",
          "archive_cleanup_command",
          "promote_trigger_file",
          "synchronous_standby_names",
          "ssl",
          "ssl_cert_file",
          "ssl_key_file",
          "ssl_ca_file");

  /** The first major whose standbys can synchronize logical failover slots. */
  public static final int SLOT_SYNC_MAJOR = 17;

  /** PostgreSQL 17's switch for the standbys' slot sync worker. */
  public static final String SYNC_REPLICATION_SLOTS = "sync_replication_slots";

  private static final long MIB = 1024L * 1024;

  /** Memory assumed when the spec gives neither a limit nor a request. */
  private static final long DEFAULT_MEMORY = 512 * MIB;

  private PostgresqlParameters() {}

  /** The user's parameters the operator refuses, sorted; empty when the spec is acceptable. */
  public static List<String> rejected(PostgresCluster cluster) {
    Map<String, String> user = cluster.getSpec().getPostgresqlParams();
    if (user == null) {
      return List.of();
    }
    return user.keySet().stream()
        .filter(k -> OWNED.contains(k.toLowerCase(java.util.Locale.ROOT)))
        .sorted()
        .toList();
  }

  /** The effective parameters, sorted by name. */
  public static Map<String, String> effective(PostgresCluster cluster) {
    long memory = memoryBytes(cluster.getSpec().getResources());
    int replicas = cluster.getSpec().getReplicas();
    Map<String, String> params = new TreeMap<>();
    params.put("max_connections", "100");
    params.put("shared_buffers", megabytes(memory / 4));
    params.put("effective_cache_size", megabytes(memory * 3 / 4));
    params.put("maintenance_work_mem", megabytes(Math.min(memory / 16, 2048 * MIB)));
    params.put("work_mem", megabytes(Math.max(4 * MIB, (memory - memory / 4) / (100 * 3))));
    // Logical decoding feeds the pg_trickle CDC consumer; it is also a superset of replica.
    params.put("wal_level", "logical");
    // Replicas report the oldest row their queries and their logical slots need, so the primary
    // keeps it: without it a replica's copy of a CDC slot is invalidated by the first recovery
    // conflict (seen on 16 after a switchover: "conflicting"), Patroni logs 'Logical slot
    // failover requires "hot_standby_feedback"' every loop on a replica holding such a copy, and
    // 17's sync_replication_slots does not start. The price: a long query on a replica holds
    // back vacuum on the primary. A user's value in spec.postgresqlParams wins.
    params.put("hot_standby_feedback", "on");
    params.put("max_wal_senders", String.valueOf(10 + replicas));
    params.put("max_replication_slots", String.valueOf(10 + replicas));
    // WAL lives on the data volume: at most an eighth of it kept for replicas, a quarter between
    // checkpoints. Before, 1GB and 2GB whatever the volume: a 1Gi cluster (the examples' size)
    // filled its volume with WAL under a steady write load, and PostgreSQL stopped (PANIC, no
    // space left on device). From 8Gi up the values are the same as before.
    long volume = storageBytes(cluster);
    params.put("wal_keep_size", megabytes(clamp(volume / 8, 32 * MIB, 1024 * MIB)));
    params.put("max_wal_size", megabytes(clamp(volume / 4, 64 * MIB, 2048 * MIB)));
    params.put("password_encryption", "scram-sha-256");
    params.put("log_destination", "stderr");
    params.put("logging_collector", "off");
    params.put("log_min_duration_statement", "1000");
    params.putAll(io.pgtrickle.operator.backup.spec.PgBackRest.archiveParameters(cluster));
    if (cluster.getSpec().getRestore() != null) {
      // Patroni reaches a restored member over this socket (see PatroniConfig).
      params.put(
          "unix_socket_directories", io.pgtrickle.operator.backup.spec.PgBackRest.SOCKET_DIR);
    }
    if (cluster.getSpec().getPostgresqlParams() != null) {
      // PostgreSQL and Patroni compare names case-insensitively: Shared_Buffers must replace the
      // default shared_buffers, not sit next to it for whichever comes last to win.
      cluster
          .getSpec()
          .getPostgresqlParams()
          .forEach((k, v) -> params.put(k.toLowerCase(java.util.Locale.ROOT), v));
    }
    if (cluster.getSpec().majorVersion() >= SLOT_SYNC_MAJOR
        && !params.containsKey(SYNC_REPLICATION_SLOTS)
        && slotSyncBlocker(params).isEmpty()) {
      // The standbys copy the CDC consumers' failover slots (created with failover = true), so a
      // switchover or failover keeps them: without it every switchover (each rollout, a TLS
      // toggle) cost the slot, GAP events and a full refresh of every stream table. Patroni (4.1)
      // already gives each standby what the slot sync worker needs besides: primary_slot_name
      // and a dbname in primary_conninfo. Not with the user's hot_standby_feedback off or a
      // wal_level below logical, where PostgreSQL would not run the worker (and some 17 minors
      // shut down over the latter); the cluster's FailoverSlotsSynchronized condition says so.
      params.put(SYNC_REPLICATION_SLOTS, "on");
    }
    return params;
  }

  /**
   * Why PostgreSQL's slot sync worker would not run with these parameters (names lower-case, as
   * {@link #effective} returns them), e.g. "hot_standby_feedback off" or "wal_level replica"; empty
   * when nothing stands in its way. A value that is no bool counts as on: {@link ParameterCheck}
   * refuses it anyway.
   */
  public static Optional<String> slotSyncBlocker(Map<String, String> params) {
    String feedback = params.get("hot_standby_feedback");
    if (feedback != null && !ParameterCheck.boolValue(feedback).orElse(true)) {
      return Optional.of("hot_standby_feedback " + feedback);
    }
    String walLevel = params.get("wal_level");
    if (walLevel != null && !walLevel.equalsIgnoreCase("logical")) {
      return Optional.of("wal_level " + walLevel);
    }
    return Optional.empty();
  }

  /** Renders parameters as postgresql.conf lines, values quoted as PostgreSQL expects. */
  public static String render(Map<String, String> params) {
    StringBuilder conf =
        new StringBuilder("# Managed by the pg-trickle operator; edit spec.postgresqlParams.\n");
    params.forEach(
        (k, v) -> conf.append(k).append(" = '").append(v.replace("'", "''")).append("'\n"));
    return conf.toString();
  }

  static long memoryBytes(ResourceRequirements resources) {
    if (resources == null) {
      return DEFAULT_MEMORY;
    }
    Quantity memory = null;
    if (resources.getLimits() != null) {
      memory = resources.getLimits().get("memory");
    }
    if (memory == null && resources.getRequests() != null) {
      memory = resources.getRequests().get("memory");
    }
    if (memory == null) {
      return DEFAULT_MEMORY;
    }
    BigDecimal bytes = Quantity.getAmountInBytes(memory);
    return Math.max(64 * MIB, bytes.longValue());
  }

  /**
   * The members' volume size in bytes ({@code spec.storage.size}, which the CRD requires); 8Gi when
   * absent, which gives the full defaults.
   */
  static long storageBytes(PostgresCluster cluster) {
    var storage = cluster.getSpec().getStorage();
    if (storage == null || storage.getSize() == null || storage.getSize().isBlank()) {
      return 8192 * MIB;
    }
    return Quantity.getAmountInBytes(new Quantity(storage.getSize())).longValue();
  }

  private static long clamp(long value, long min, long max) {
    return Math.max(min, Math.min(max, value));
  }

  private static String megabytes(long bytes) {
    return Math.max(1, bytes / MIB) + "MB";
  }
}
