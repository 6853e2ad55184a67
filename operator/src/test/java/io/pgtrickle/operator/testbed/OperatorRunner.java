package io.pgtrickle.operator.testbed;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.pgtrickle.operator.ApiServerFeatures;
import io.pgtrickle.operator.backup.PostgresBackupReconciler;
import io.pgtrickle.operator.postgres.ClusterTimings;
import io.pgtrickle.operator.postgres.PostgresClusterReconciler;
import io.pgtrickle.operator.streams.StreamTableClusterReconciler;
import io.pgtrickle.testbed.TestBed;
import java.util.function.Consumer;

/**
 * The operator, run inside the test JVM against the test bed and limited to one namespace, with a
 * client of its own so it can be stopped and started again like a restarted pod.
 */
public final class OperatorRunner implements AutoCloseable {

  /**
   * {@code ttlSecondsAfterFinished} of the backup Jobs in the tests: short enough for a test to see
   * the TTL controller clean them up, long enough for the reconciler to read their outcome first.
   */
  public static final long BACKUP_JOB_TTL_SECONDS = 20;

  /**
   * How long these operators let a grown volume's file system wait before restarting its member
   * (the operator's own: 2 minutes).
   */
  public static final java.time.Duration FILE_SYSTEM_RESIZE_GRACE = java.time.Duration.ofSeconds(5);

  /**
   * How long these operators let a replica stay behind the primary, neither streaming nor moving,
   * before having Patroni clone it again (the operator's own: 5 minutes). Longer than {@code
   * ReplicaNotStreamingIT} keeps its replica from logging in.
   */
  public static final java.time.Duration STUCK_REPLICA_GRACE = java.time.Duration.ofSeconds(240);

  /**
   * How often these operators measure the members' data volumes (the operator's own: 60 s), so that
   * VolumeSpaceIT sees a filled volume within seconds.
   */
  public static final java.time.Duration VOLUME_SPACE_CHECK = java.time.Duration.ofSeconds(10);

  /** How often these operators read a primary's archiver (the operator's own: 60 s). */
  public static final java.time.Duration ARCHIVING_CHECK = java.time.Duration.ofSeconds(10);

  private final Operator operator;

  private OperatorRunner(Operator operator) {
    this.operator = operator;
  }

  /** As the test bed's administrator. */
  public static OperatorRunner start(TestBed testBed, String namespace) {
    return start(testBed.newClient(), namespace, o -> {});
  }

  /**
   * As the test bed's administrator, reporting a rollout stalled after {@code rolloutBound} rather
   * than the operator's 5 minutes.
   */
  public static OperatorRunner start(
      TestBed testBed, String namespace, java.time.Duration rolloutBound) {
    return start(testBed.newClient(), namespace, o -> {}, rolloutBound);
  }

  /**
   * With the given client, for example one authenticated as the operator's ServiceAccount so that
   * only its RBAC applies; the client is closed when the operator stops.
   */
  public static OperatorRunner start(KubernetesClient client, String namespace) {
    return start(client, namespace, o -> {});
  }

  /**
   * With the given client, electing a leader on the Lease {@code leaseName} in {@code
   * leaseNamespace} before reconciling, as the deployed operator does. Losing the lease stops
   * leading without {@code System.exit}, JOSDK's default, which would end the test JVM on close.
   */
  public static OperatorRunner startLeaderElected(
      KubernetesClient client, String namespace, String leaseName, String leaseNamespace) {
    return start(
        client,
        namespace,
        o ->
            o.withLeaderElectionConfiguration(
                LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(leaseName)
                    .withLeaseNamespace(leaseNamespace)
                    .withExitOnStopLeading(false)
                    .build()));
  }

  private static OperatorRunner start(
      KubernetesClient client, String namespace, Consumer<ConfigurationServiceOverrider> more) {
    return start(
        client, namespace, more, io.pgtrickle.operator.postgres.rollout.RolloutStall.DEFAULT_BOUND);
  }

  private static OperatorRunner start(
      KubernetesClient client,
      String namespace,
      Consumer<ConfigurationServiceOverrider> more,
      java.time.Duration rolloutBound) {
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withCloseClientOnStop(true)
                  .withStopOnInformerErrorDuringStartup(true);
              more.accept(o);
            });
    operator.register(
        new PostgresClusterReconciler(
            ApiServerFeatures.detect(client),
            new ClusterTimings(
                ARCHIVING_CHECK,
                rolloutBound,
                FILE_SYSTEM_RESIZE_GRACE,
                STUCK_REPLICA_GRACE,
                VOLUME_SPACE_CHECK)),
        c -> c.settingNamespace(namespace));
    operator.register(new StreamTableClusterReconciler(), c -> c.settingNamespace(namespace));
    operator.register(
        new PostgresBackupReconciler(java.time.Clock.systemUTC(), BACKUP_JOB_TTL_SECONDS),
        c -> c.settingNamespace(namespace));
    operator.start();
    return new OperatorRunner(operator);
  }

  @Override
  public void close() {
    operator.stop();
  }
}
