package io.pgtrickle.operator.postgres.spec;

import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.RestoreBootstrap;
import io.pgtrickle.operator.backup.spec.RestoreSource;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Patroni's configuration file (patroni.yml) for a cluster: Kubernetes as DCS with the leader lock
 * in a ConfigMap, role labels on the pods, bootstrap and replication settings. Secrets never appear
 * here: passwords reach Patroni as environment variables from the Secrets, and per-pod values
 * (name, IP) from the downward API.
 */
public final class PatroniConfig {

  public static final String DATA_DIR = "/var/lib/postgresql/data/pgdata";
  public static final String CONFIG_MOUNT = "/etc/patroni";
  public static final String CONFIG_FILE = "patroni.yml";

  private PatroniConfig() {}

  /** The whole configuration as nested maps, in a stable order. */
  public static Map<String, Object> build(PostgresCluster cluster) {
    return build(cluster, null);
  }

  /**
   * The same for a cluster restored from {@code source} ({@code spec.restore}; null: none): its
   * bootstrap restores the source's backup instead of running initdb.
   */
  public static Map<String, Object> build(PostgresCluster cluster, RestoreSource source) {
    return build(cluster, source, false);
  }

  /**
   * The same, with {@code tlsTransition} (see {@link
   * io.pgtrickle.operator.postgres.rollout.TlsTransition}): TLS turned on or off for a running
   * cluster, and some member still runs the old setting. Then replication and pg_rewind use {@code
   * sslmode=prefer} (the primary may have SSL off) and pg_hba requires no client certificate (the
   * replicas may present none); everything else is as with TLS.
   */
  public static Map<String, Object> build(
      PostgresCluster cluster, RestoreSource source, boolean tlsTransition) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("scope", ClusterNames.patroniScope(cluster));
    config.put("restapi", map("listen", "0.0.0.0:" + ClusterServices.PATRONI_PORT));
    config.put("kubernetes", kubernetes(cluster));
    config.put("bootstrap", bootstrap(cluster, source));
    config.put("postgresql", postgresql(cluster));
    config.put("watchdog", map("mode", "off"));
    if (ClusterTls.enabled(cluster)) {
      withTls(config, cluster, tlsTransition);
    }
    return config;
  }

  /** Everything but {@code bootstrap}: what a running member reads from its file. */
  public static Map<String, Object> local(PostgresCluster cluster) {
    return local(cluster, false);
  }

  /**
   * The same during a TLS transition, see {@link #build(PostgresCluster, RestoreSource, boolean)}.
   */
  public static Map<String, Object> local(PostgresCluster cluster, boolean tlsTransition) {
    Map<String, Object> config = build(cluster, null, tlsTransition);
    config.remove("bootstrap");
    return config;
  }

  /**
   * The settings Patroni keeps in its DCS and applies to every member. {@code bootstrap.dcs} is
   * read only once, when the cluster is initialised; later changes of these go through Patroni's
   * REST API ({@code PATCH /config}), see {@code PatroniDynamicConfig}.
   */
  public static Map<String, Object> dynamic(PostgresCluster cluster) {
    return dynamic(cluster, List.of());
  }

  /**
   * The same, with the slots of the cluster's pipelines ({@link PipelineSlot}), in name order: on
   * PostgreSQL 16 and older those whose consumer runs are permanent slots ({@code slots}), all
   * others are in {@code ignore_slots}. Both are always given, so that a slot taken out here is
   * taken out of Patroni too ({@code ignore_slots} is a list, which Patroni's {@code PATCH /config}
   * replaces; {@code slots} is a map, which it merges, so {@code ConfigPatch} names each slot to
   * remove with {@code null}).
   */
  public static Map<String, Object> dynamic(PostgresCluster cluster, List<PipelineSlot> pipelines) {
    PatroniTimings timings = PatroniTimings.of(cluster);
    boolean synchronous = Boolean.TRUE.equals(cluster.getSpec().getSynchronous());
    Map<String, Object> dcs = new LinkedHashMap<>();
    dcs.put("ttl", timings.ttl());
    dcs.put("loop_wait", timings.loopWait());
    dcs.put("retry_timeout", timings.retryTimeout());
    dcs.put("primary_start_timeout", timings.primaryStartTimeout());
    dcs.put("maximum_lag_on_failover", 1048576);
    // Strict: with no standby available, writes wait rather than silently turn asynchronous,
    // which is what makes "no acknowledged write lost" hold across a failover.
    dcs.put("synchronous_mode", synchronous);
    dcs.put("synchronous_mode_strict", synchronous);
    Map<String, Object> postgresql = new LinkedHashMap<>();
    postgresql.put("use_pg_rewind", true);
    // A former primary that pg_rewind cannot bring back ("could not find common ancestor", WAL it
    // needs already gone) would otherwise retry forever and never stream again: Patroni removes
    // its data directory instead and clones it again from the primary. What only that member held
    // is discarded, as pg_rewind itself discards it (see operator/README.md, Diverged replicas).
    // Here rather than in the local file: Patroni (4.1.5) merges every postgresql key of its
    // dynamic configuration over the local one and reads these two from the result, so running
    // clusters get them by PATCH /config, without a rolling restart.
    postgresql.put("remove_data_directory_on_rewind_failure", true);
    postgresql.put("remove_data_directory_on_diverged_timelines", true);
    postgresql.put("use_slots", true);
    postgresql.put("parameters", new LinkedHashMap<>(PostgresqlParameters.effective(cluster)));
    dcs.put("postgresql", postgresql);
    int major = cluster.getSpec().majorVersion();
    List<PipelineSlot> sorted =
        pipelines.stream().sorted(Comparator.comparing(PipelineSlot::name)).distinct().toList();
    Map<String, Object> permanent = new LinkedHashMap<>();
    sorted.stream()
        .filter(slot -> slot.permanentOn(major))
        .forEach(slot -> permanent.put(slot.name(), slot.toPermanentSlot()));
    dcs.put("slots", permanent);
    dcs.put(
        "ignore_slots",
        sorted.stream()
            .filter(slot -> !slot.permanentOn(major))
            .map(PipelineSlot::toIgnoreEntry)
            .toList());
    return dcs;
  }

  private static Map<String, Object> kubernetes(PostgresCluster cluster) {
    Map<String, Object> k8s = new LinkedHashMap<>();
    k8s.put("namespace", cluster.getMetadata().getNamespace());
    k8s.put("labels", map(ClusterNames.PATRONI_LABEL, ClusterNames.PATRONI_LABEL_VALUE));
    k8s.put("scope_label", ClusterNames.PATRONI_SCOPE_LABEL);
    k8s.put("role_label", ClusterNames.ROLE_LABEL);
    k8s.put("leader_label_value", ClusterNames.ROLE_PRIMARY);
    k8s.put("follower_label_value", ClusterNames.ROLE_REPLICA);
    k8s.put("standby_leader_label_value", ClusterNames.ROLE_PRIMARY);
    // ConfigMaps, not Endpoints, hold the leader lock: the Services select pods by role label.
    k8s.put("use_endpoints", false);
    return k8s;
  }

  private static Map<String, Object> bootstrap(PostgresCluster cluster, RestoreSource source) {
    Map<String, Object> bootstrap = new LinkedHashMap<>();
    bootstrap.put("dcs", dynamic(cluster));
    if (source != null) {
      bootstrap.putAll(RestoreBootstrap.patroniBootstrap(source));
    }
    bootstrap.put(
        "initdb", List.of(map("encoding", "UTF8"), map("locale", "C.UTF-8"), "data-checksums"));
    return bootstrap;
  }

  private static Map<String, Object> postgresql(PostgresCluster cluster) {
    Map<String, Object> pg = new LinkedHashMap<>();
    pg.put("listen", "0.0.0.0:" + ClusterServices.POSTGRES_PORT);
    pg.put("data_dir", DATA_DIR);
    pg.put("pgpass", "/tmp/pgpass");
    pg.put(
        "authentication",
        map(
            "superuser", map("username", "postgres"),
            "replication", map("username", "replicator"),
            "rewind", map("username", "rewinder")));
    pg.put("pg_hba", pgHba(cluster));
    if (cluster.getSpec().getRestore() != null) {
      // A restored database has the source's superuser password until Patroni changes it after
      // the restore; meanwhile Patroni's custom bootstrap trusts only its local connections:
      // the Unix socket here (the pod's own address would do in a pod, not where pods share the
      // host's network, as on the test bed).
      pg.put("use_unix_socket", true);
    }
    return pg;
  }

  /**
   * Password authentication (SCRAM) everywhere; TLS required for remote clients when enabled; with
   * the operator's CA ({@link ClusterTls#clientCertificates}) remote replication also needs the
   * replication user's client certificate ({@code clientcert=verify-full}: signed by the cluster's
   * CA, common name = the user).
   */
  static List<String> pgHba(PostgresCluster cluster) {
    boolean tls = ClusterTls.enabled(cluster);
    String remote = tls ? "hostssl" : "host";
    String replication =
        ClusterTls.clientCertificates(cluster)
            ? "scram-sha-256 clientcert=verify-full"
            : "scram-sha-256";
    return List.of(
        "local all all scram-sha-256",
        // Patroni's own replication connection to its member (with TLS: over the socket).
        "local replication replicator scram-sha-256",
        "host all all 127.0.0.1/32 scram-sha-256",
        remote + " replication replicator 0.0.0.0/0 " + replication,
        remote + " replication replicator ::/0 " + replication,
        remote + " all all 0.0.0.0/0 scram-sha-256",
        remote + " all all ::/0 scram-sha-256");
  }

  /**
   * TLS everywhere (issue #17): PostgreSQL serves the mounted certificate; replication and
   * pg_rewind connect to the primary by its DNS name with {@code sslmode=verify-full}; Patroni's
   * REST API serves HTTPS and Patroni verifies the other members' REST APIs against the CA. Local
   * {@code postgresql.parameters} win over the dynamic ones, so only members started with the
   * certificate mounted turn SSL on.
   */
  @SuppressWarnings("unchecked")
  private static void withTls(
      Map<String, Object> config, PostgresCluster cluster, boolean transition) {
    String cert = ClusterTls.MOUNT + "/" + ClusterTls.CERT;
    String key = ClusterTls.MOUNT + "/" + ClusterTls.KEY;
    String ca = ClusterTls.MOUNT + "/" + ClusterTls.CA;
    Map<String, Object> restapi = (Map<String, Object>) config.get("restapi");
    restapi.put("certfile", cert);
    restapi.put("keyfile", key);
    config.put("ctl", map("cacert", ca));
    Map<String, Object> pg = (Map<String, Object>) config.get("postgresql");
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("ssl", "on");
    parameters.put("ssl_cert_file", cert);
    parameters.put("ssl_key_file", key);
    parameters.put("ssl_min_protocol_version", "TLSv1.2");
    // Patroni's replication connection to its own member (which timeline and LSN it is at, how
    // it decides on pg_rewind after a failover) goes over the Unix socket: over TCP it would
    // verify-full the member's certificate against an IP address and fail, and the old primary
    // would never be rewound (seen in TlsIT: "does not match host name 127.11.0.1").
    parameters.put(
        "unix_socket_directories", io.pgtrickle.operator.backup.spec.PgBackRest.SOCKET_DIR);
    pg.put("parameters", parameters);
    pg.put("use_unix_socket_repl", true);
    if (transition) {
      // Replicas that do not present the client certificate (turning TLS off) still stream.
      pg.put(
          "pg_hba",
          pgHba(cluster).stream().map(l -> l.replace(" clientcert=verify-full", "")).toList());
    }
    Map<String, Object> auth = (Map<String, Object>) pg.get("authentication");
    for (String user : List.of("replication", "rewind")) {
      Map<String, Object> entry = new LinkedHashMap<>((Map<String, Object>) auth.get(user));
      if (transition) {
        entry.put("sslmode", "prefer");
      } else {
        entry.put("sslmode", "verify-full");
        entry.put("sslrootcert", ca);
      }
      auth.put(user, entry);
    }
    if (ClusterTls.clientCertificates(cluster)) {
      // The CA client certificates must lead to (clientcert=verify-full in pg_hba needs it).
      parameters.put("ssl_ca_file", ca);
      Map<String, Object> entry =
          new LinkedHashMap<>((Map<String, Object>) auth.get("replication"));
      entry.put("sslcert", ClusterTls.CLIENT_MOUNT + "/" + ClusterTls.CERT);
      entry.put("sslkey", ClusterTls.CLIENT_MOUNT + "/" + ClusterTls.KEY);
      auth.put("replication", entry);
    }
  }

  private static Map<String, Object> map(Object... keyValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put((String) keyValues[i], keyValues[i + 1]);
    }
    return map;
  }
}
