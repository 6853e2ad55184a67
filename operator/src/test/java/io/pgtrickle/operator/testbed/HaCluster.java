package io.pgtrickle.operator.testbed;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.testbed.PatroniPods;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.VolumeProvisioner;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A PostgresCluster with real Patroni and PostgreSQL behind its pods, run by the operator, for HA
 * tests and the failover benchmark: the volume provisioner, the pod player and the operator
 * process, plus what a client of the cluster sees (the primary Service's pod, connections, writes)
 * and what the operator reports (phases, Events).
 */
public final class HaCluster implements AutoCloseable {

  /**
   * Counts the replicas streaming from the server queried. Patroni names each replica's connection
   * after its member; a replica being cloned again shows a {@code pg_basebackup} connection that is
   * also "streaming" (its WAL stream) until the copy ends, then none until the new server connects,
   * so those are left out, and so are logical replication consumers (a pipeline's cdc-consumer,
   * whose walsender is "streaming" too).
   */
  public static final String STREAMING_REPLICAS =
      "select count(*) from pg_stat_replication r"
          + " where state = 'streaming' and application_name <> 'pg_basebackup'"
          + " and not exists (select 1 from pg_replication_slots s"
          + " where s.active_pid = r.pid and s.slot_type = 'logical')";

  /** The ticket's recovery objective after any fault. */
  public static final Duration OBJECTIVE = Duration.ofSeconds(30);

  /** At most this many crashes in {@link #crashPrimaryUntilFailover()}. */
  private static final int CRASHES = 4;

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final VolumeProvisioner volumes;
  private final PatroniPods pods;
  private final OperatorRunner operator;
  private final SharedIndexInformer<PostgresCluster> phaseWatch;
  private final List<ClusterPhase> phasesSeen = new CopyOnWriteArrayList<>();
  private volatile String lastWriteFailure = "none yet";

  /** Whether close() stops the operator, pod player and provisioner (false: another's). */
  private final boolean ownsPlayers;

  private HaCluster(TestBed testBed, String namespace, String name, String spec) {
    this(
        testBed.client(),
        namespace,
        name,
        spec,
        new VolumeProvisioner(testBed.client(), namespace),
        new PatroniPods(testBed, namespace),
        OperatorRunner.start(testBed, namespace),
        true);
  }

  private HaCluster(
      KubernetesClient client,
      String namespace,
      String name,
      String spec,
      VolumeProvisioner volumes,
      PatroniPods pods,
      OperatorRunner operator,
      boolean ownsPlayers) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.volumes = volumes;
    this.pods = pods;
    this.operator = operator;
    this.ownsPlayers = ownsPlayers;
    if (spec != null) {
      String yaml =
          "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
              + name
              + "\n  namespace: "
              + namespace
              + "\nspec:\n"
              + spec;
      client
          .resource(client.getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
          .create();
    }
    this.phaseWatch =
        client
            .resources(PostgresCluster.class)
            .inNamespace(namespace)
            .withName(name)
            .inform(
                new ResourceEventHandler<>() {
                  public void onAdd(PostgresCluster c) {}

                  public void onUpdate(PostgresCluster o, PostgresCluster c) {
                    if (c.getStatus() != null && c.getStatus().getPhase() != null) {
                      phasesSeen.add(c.getStatus().getPhase());
                    }
                  }

                  public void onDelete(PostgresCluster c, boolean unknown) {}
                });
  }

  /**
   * Creates the PostgresCluster of {@code manifest} (a user's YAML, in any served version, applied
   * as written except for its namespace) with its own operator, pod player and volume provisioner,
   * and waits until it runs.
   */
  public static HaCluster fromManifest(
      TestBed testBed, String namespace, String manifest, Duration within) {
    KubernetesClient client = testBed.client();
    GenericKubernetesResource resource =
        client.getKubernetesSerialization().unmarshal(manifest, GenericKubernetesResource.class);
    String name = resource.getMetadata().getName();
    VolumeProvisioner volumes = new VolumeProvisioner(client, namespace);
    PatroniPods pods = new PatroniPods(testBed, namespace);
    OperatorRunner operator = OperatorRunner.start(testBed, namespace);
    client.resource(resource).inNamespace(namespace).create();
    HaCluster cluster = new HaCluster(client, namespace, name, null, volumes, pods, operator, true);
    try {
      cluster.awaitRunning(within);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** The PostgreSQL major HA tests run on: {@code -Dit.pg.version=N}, default 15. */
  public static int testedMajor() {
    return Integer.getInteger("it.pg.version", 15);
  }

  /**
   * Creates the cluster {@code name} with 3 members of {@code version} ({@code synchronous}
   * replication or not) and waits until it runs.
   */
  public static HaCluster start(
      TestBed testBed, String namespace, String name, int version, boolean synchronous) {
    return start(testBed, namespace, name, version, synchronous, Map.of());
  }

  /** The same with {@code spec.postgresqlParams}. */
  public static HaCluster start(
      TestBed testBed,
      String namespace,
      String name,
      int version,
      boolean synchronous,
      Map<String, String> postgresqlParams) {
    return start(testBed, namespace, name, version, synchronous, 3, postgresqlParams);
  }

  /** The same with {@code replicas} members. */
  public static HaCluster start(
      TestBed testBed,
      String namespace,
      String name,
      int version,
      boolean synchronous,
      int replicas,
      Map<String, String> postgresqlParams) {
    StringBuilder spec =
        new StringBuilder("  version: ")
            .append(version)
            .append("\n  replicas: ")
            .append(replicas)
            .append("\n  synchronous: ")
            .append(synchronous)
            .append("\n  storage:\n    size: 1Gi\n");
    if (!postgresqlParams.isEmpty()) {
      spec.append("  postgresqlParams:\n");
      postgresqlParams.forEach(
          (k, v) -> spec.append("    ").append(k).append(": '").append(v).append("'\n"));
    }
    HaCluster cluster = new HaCluster(testBed, namespace, name, spec.toString());
    try {
      cluster.awaitRunning(Duration.ofSeconds(180));
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * Creates the cluster {@code name} with the given spec (YAML lines under {@code spec:}, indented
   * by two spaces) and waits until it runs.
   */
  public static HaCluster startWithSpec(
      TestBed testBed, String namespace, String name, String spec, Duration within) {
    HaCluster cluster = new HaCluster(testBed, namespace, name, spec);
    try {
      cluster.awaitRunning(within);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * Creates the cluster {@code name} with {@code replicas} asynchronous members of {@code version}
   * and more of the spec ({@code extraSpec}: YAML lines indented by two spaces, e.g. a {@code
   * backup:} section), and waits until it runs.
   */
  public static HaCluster startWith(
      TestBed testBed, String namespace, String name, int version, int replicas, String extraSpec) {
    String spec =
        "  version: "
            + version
            + "\n  replicas: "
            + replicas
            + "\n  storage:\n    size: 1Gi\n"
            + extraSpec;
    HaCluster cluster = new HaCluster(testBed, namespace, name, spec);
    try {
      cluster.awaitRunning(Duration.ofSeconds(180));
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * Creates a second cluster {@code name} (YAML lines under {@code spec:}, indented by two spaces)
   * in {@code running}'s namespace, played by its operator, pod player and provisioner, without
   * waiting for it. Closing it deletes only this cluster.
   */
  public static HaCluster beside(HaCluster running, String name, String spec) {
    return new HaCluster(
        running.client,
        running.namespace,
        name,
        spec,
        running.volumes,
        running.pods,
        running.operator,
        false);
  }

  /**
   * A cluster {@code name} that someone else created in {@code running}'s namespace (e.g. with
   * {@code kubectl apply}), played by {@code running}'s operator, pod player and provisioner.
   * Closing it deletes only this cluster.
   */
  public static HaCluster adopt(HaCluster running, String name) {
    return new HaCluster(
        running.client,
        running.namespace,
        name,
        null,
        running.volumes,
        running.pods,
        running.operator,
        false);
  }

  public String namespace() {
    return namespace;
  }

  public PatroniPods pods() {
    return pods;
  }

  public String name() {
    return name;
  }

  public PostgresCluster cluster() {
    return client.resources(PostgresCluster.class).inNamespace(namespace).withName(name).get();
  }

  /** Phase Running with every member ready. */
  public void awaitRunning(Duration within) {
    await()
        .atMost(within)
        .until(
            () -> {
              PostgresCluster c = cluster();
              return c.getStatus() != null
                  && c.getStatus().getPhase() == ClusterPhase.Running
                  && (c.getSpec().getReplicas() + "/" + c.getSpec().getReplicas())
                      .equals(c.getStatus().getReplicas());
            });
  }

  /**
   * Running, every replica streaming, and in synchronous mode a synchronous standby chosen: only
   * then can the next primary fault be survived (in strict synchronous mode no replica may take
   * over from a primary that had no synchronous standby).
   */
  public void awaitReplicationHealthy(Duration within) {
    awaitRunning(within);
    int replicas = cluster().getSpec().getReplicas() - 1;
    boolean synchronous = Boolean.TRUE.equals(cluster().getSpec().getSynchronous());
    await()
        .atMost(OBJECTIVE)
        .ignoreExceptions()
        .until(
            () ->
                queryLong(STREAMING_REPLICAS) == replicas
                    && (!synchronous
                        || queryLong(
                                    "select count(*) from pg_stat_replication where sync_state = 'sync'")
                                == 1
                            && patroniSyncStandby().isPresent()));
  }

  /**
   * The synchronous standby Patroni recorded in its {@code NAME-sync} ConfigMap for the current
   * leader. Patroni writes it a loop after PostgreSQL reports the standby synchronous, and only a
   * member named there may replace a failed primary.
   */
  public Optional<String> patroniSyncStandby() {
    var sync = client.configMaps().inNamespace(namespace).withName(name + "-sync").get();
    Map<String, String> annotations = sync == null ? null : sync.getMetadata().getAnnotations();
    var leader = client.configMaps().inNamespace(namespace).withName(name + "-leader").get();
    String holder =
        leader == null || leader.getMetadata().getAnnotations() == null
            ? null
            : leader.getMetadata().getAnnotations().get("leader");
    if (annotations == null || holder == null || !holder.equals(annotations.get("leader"))) {
      return Optional.empty();
    }
    String standby = annotations.get("sync_standby");
    return standby == null || standby.isBlank() ? Optional.empty() : Optional.of(standby);
  }

  /** Forgets the phases seen so far; {@link #phasesSeen()} then lists those since. */
  public void clearPhases() {
    phasesSeen.clear();
  }

  public List<ClusterPhase> phasesSeen() {
    return List.copyOf(phasesSeen);
  }

  /**
   * What kube-proxy would route {@code NAME-primary} to: the ready pod its selector matches. (A
   * crashed primary keeps its role label until its Patroni runs again; like an EndpointSlice, this
   * leaves out pods that are not ready.)
   */
  public Optional<String> primaryIp() {
    Map<String, String> selector =
        client
            .services()
            .inNamespace(namespace)
            .withName(name + "-primary")
            .get()
            .getSpec()
            .getSelector();
    List<Pod> selected =
        client.pods().inNamespace(namespace).withLabels(selector).list().getItems().stream()
            .filter(Readiness::isPodReady)
            .toList();
    return selected.size() == 1 && selected.get(0).getStatus().getPodIP() != null
        ? Optional.of(selected.get(0).getStatus().getPodIP())
        : Optional.empty();
  }

  /**
   * Crashes the primary (SIGKILL of its pod's processes) until a replica takes over, and returns
   * the new primary's pod once the operator reports it.
   *
   * <p>The kubelet restarts a crashed container after a back-off (none the first time, then 10 s,
   * 20 s, 40 s), so the old primary's Patroni can be back before its leader lock was released (by
   * the operator, or by the lock's expiry); it then simply stays the leader (crash recovery, not a
   * failover). Each wait ends when the Service routes to another pod (a failover), or to the old
   * primary once its back-off has passed (it recovered: crash it again); the old primary routed to
   * during its back-off is a stale pod status and does not count (a CI run of 2026-12-02 failed so:
   * the whole test took 15 s). Two crashes were not always enough on a loaded machine (a CI run of
   * 2026-12-07: the operator's release came after the 10 s back-off, and the old primary kept its
   * lock), so this crashes up to {@value #CRASHES} times.
   *
   * @throws AssertionError naming each crash's outcome if no replica took over
   */
  public String crashPrimaryUntilFailover() {
    String old = primaryPod();
    String oldIp = podIp(old);
    StringBuilder outcomes = new StringBuilder();
    for (int crash = 1; crash <= CRASHES; crash++) {
      long crashed = System.nanoTime();
      Duration backOff = pods.crash(old);
      long restartable = crashed + backOff.toNanos();
      String routed;
      try {
        routed =
            await()
                .atMost(OBJECTIVE.plus(backOff))
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(
                    () ->
                        primaryIp()
                            .filter(ip -> !ip.equals(oldIp) || System.nanoTime() > restartable)
                            .orElse(null),
                    Objects::nonNull);
      } catch (ConditionTimeoutException e) {
        routed = null;
      }
      long seconds = Duration.ofNanos(System.nanoTime() - crashed).toSeconds();
      if (routed != null && !routed.equals(oldIp)) {
        return await()
            .atMost(OBJECTIVE)
            .until(
                () -> cluster().getStatus().getPrimaryPod(),
                now -> now != null && !now.equals(old));
      }
      outcomes
          .append("; crash ")
          .append(crash)
          .append(" (back-off ")
          .append(backOff.toSeconds())
          .append(" s): ")
          .append(routed == null ? "no primary routed to after " : "recovered after ")
          .append(seconds)
          .append(" s");
    }
    throw new AssertionError(
        "the primary Service still routes to " + old + " after " + CRASHES + " crashes" + outcomes);
  }

  /** The primary as the operator reports it, once it reports one. */
  public String primaryPod() {
    return await()
        .atMost(OBJECTIVE)
        .until(
            () -> {
              PostgresCluster c = cluster();
              return c.getStatus() == null ? null : c.getStatus().getPrimaryPod();
            },
            java.util.Objects::nonNull);
  }

  public String podIp(String pod) {
    return client.pods().inNamespace(namespace).withName(pod).get().getStatus().getPodIP();
  }

  public String podUid(String pod) {
    return client.pods().inNamespace(namespace).withName(pod).get().getMetadata().getUid();
  }

  public void deletePod(String pod) {
    client.pods().inNamespace(namespace).withName(pod).delete();
  }

  /** A connection as the superuser to {@code ip}, with short timeouts. */
  public Connection connect(String ip) throws SQLException {
    return connect(ip, "postgres", password());
  }

  /** A connection as {@code user} with {@code password} to {@code ip}, with short timeouts. */
  public Connection connect(String ip, String user, String password) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", "2");
    props.setProperty("socketTimeout", "5");
    return DriverManager.getConnection("jdbc:postgresql://" + ip + ":5432/postgres", props);
  }

  /** The superuser's password, from the cluster's credentials Secret. */
  public String password() {
    return new String(
        Base64.getDecoder()
            .decode(
                client
                    .secrets()
                    .inNamespace(namespace)
                    .withName(name + "-credentials")
                    .get()
                    .getData()
                    .get("password")),
        StandardCharsets.UTF_8);
  }

  /** Runs {@code sql} on what the primary Service selects; false when that failed. */
  public boolean tryOnPrimary(String sql) {
    Optional<String> ip = primaryIp();
    if (ip.isEmpty()) {
      lastWriteFailure = "the primary Service selects no ready pod";
      return false;
    }
    try (Connection c = connect(ip.get())) {
      c.createStatement().execute(sql);
      return true;
    } catch (SQLException e) {
      lastWriteFailure = ip.get() + ": " + e.getSQLState() + " " + e.getMessage();
      return false;
    }
  }

  /**
   * Seconds from now until {@code sql} succeeds through the primary Service.
   *
   * @throws AssertionError past 30 s, with the last failure and each pod's Patroni log tail (the
   *     pods' directories are gone once the test namespace is deleted)
   */
  public double secondsUntilWritable(String sql) {
    long start = System.nanoTime();
    try {
      await().atMost(OBJECTIVE).pollInterval(Duration.ofMillis(100)).until(() -> tryOnPrimary(sql));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "not writable through "
              + name
              + "-primary within "
              + OBJECTIVE.toSeconds()
              + " s; last failure: "
              + lastWriteFailure
              + patroniLogTails(),
          e);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * What a test that waits on the cluster prints when the wait fails: the last failure of {@link
   * #tryOnPrimary}, each pod's readiness and controller revision, and their Patroni log tails.
   */
  public String diagnostics() {
    StringBuilder pods = new StringBuilder();
    for (Pod p : client.pods().inNamespace(namespace).list().getItems()) {
      if (p.getMetadata().getName().startsWith(name + "-")) {
        pods.append("\npod ")
            .append(p.getMetadata().getName())
            .append(" ip ")
            .append(p.getStatus() == null ? null : p.getStatus().getPodIP())
            .append(" role ")
            .append(p.getMetadata().getLabels().get(ClusterNames.ROLE_LABEL))
            .append(" revision ")
            .append(p.getMetadata().getLabels().get("controller-revision-hash"))
            .append(" ready ")
            .append(
                p.getStatus() == null || p.getStatus().getConditions() == null
                    ? "unknown"
                    : p.getStatus().getConditions().stream()
                        .filter(c -> "Ready".equals(c.getType()))
                        .map(c -> c.getStatus())
                        .findFirst()
                        .orElse("unknown"))
            .append("; ")
            .append(this.pods.process(p.getMetadata().getName()));
      }
    }
    var sts = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
    return "last failure on the primary: "
        + lastWriteFailure
        + (sts == null || sts.getStatus() == null
            ? ""
            : "\nStatefulSet update revision " + sts.getStatus().getUpdateRevision())
        + pods
        + patroniLogTails();
  }

  /** The last lines of each of this cluster's pods' Patroni logs, for a failure message. */
  private String patroniLogTails() {
    StringBuilder tails = new StringBuilder();
    for (Pod p : client.pods().inNamespace(namespace).list().getItems()) {
      String pod = p.getMetadata().getName();
      if (pod.startsWith(name + "-")) {
        tails.append("\n--- ").append(pod).append(" ---\n").append(pods.logTail(pod, 25));
      }
    }
    return tails.toString();
  }

  /** The long a single-row query on the primary returns. */
  public long queryLong(String sql) {
    await().atMost(OBJECTIVE).until(() -> primaryIp().isPresent());
    try (Connection c = connect(primaryIp().orElseThrow());
        var rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  /** The member the primary replicates to synchronously, by its Patroni (pod) name. */
  public String synchronousStandby() {
    await()
        .atMost(OBJECTIVE)
        .ignoreExceptions()
        .until(
            () ->
                queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'")
                    == 1);
    try (Connection c = connect(primaryIp().orElseThrow());
        var rs =
            c.createStatement()
                .executeQuery(
                    "select application_name from pg_stat_replication where sync_state = 'sync'")) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Asks the operator to switch over to {@code pod} (annotation switchover-to). */
  /**
   * Asks for a switchover as `kubectl annotate` does: a merge patch, whatever the resourceVersion.
   */
  public void requestSwitchover(String pod) {
    client
        .resources(PostgresCluster.class)
        .inNamespace(namespace)
        .withName(name)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\""
                + ClusterNames.SWITCHOVER_ANNOTATION
                + "\":\""
                + pod
                + "\"}}}");
  }

  /** Events about the cluster with one of {@code reasons}, by message. */
  public List<String> events(Set<String> reasons) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .filter(e -> reasons.contains(e.getReason()))
        .map(e -> e.getReason() + ": " + e.getMessage())
        .toList();
  }

  /**
   * Deletes the cluster and waits for its pods to go before stopping the pod player, so a later
   * HaCluster in the same namespace (whose pod player watches the whole namespace) does not start
   * this one's pods again.
   */
  @Override
  public void close() {
    try {
      client.resources(PostgresCluster.class).inNamespace(namespace).withName(name).delete();
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  client
                      .pods()
                      .inNamespace(namespace)
                      .withLabel("postgres.example.com/cluster", name)
                      .list()
                      .getItems()
                      .isEmpty());
    } catch (RuntimeException e) {
      // Closing must stop the processes even when the API server no longer answers.
    }
    phaseWatch.close();
    if (ownsPlayers) {
      operator.close();
      pods.close();
      volumes.close();
    }
  }
}
