package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import java.util.ArrayList;
import java.util.List;

/**
 * The CDC consumers' StatefulSet {@code NAME-cdc}: one pod per replication slot, the slot named
 * after the pod's ordinal ({@code PREFIX<ordinal>}, the ordinal read from HOSTNAME), so a pod that
 * is replaced resumes its predecessor's slot. Each consumer claims the catalog's tables whose OID
 * modulo {@code PGTRICKLE_REPLICAS} is its ordinal (CONTRACTS.md §2). Pods start and stop
 * independently (Parallel): they share nothing. SIGTERM publishes what was read, confirms it and
 * exits 0, well within the grace period.
 */
public final class CdcStatefulSet {

  public static final String CONTAINER = "cdc-consumer";

  /** The consumer's stop: publish the last batch and confirm it (seconds). */
  public static final long TERMINATION_GRACE_SECONDS = 30;

  private CdcStatefulSet() {}

  /**
   * @param s the pipeline
   * @param replicas how many consumers to run now (the spec's, or fewer while scaling down)
   * @return the StatefulSet
   */
  public static StatefulSet build(PipelineSettings s, int replicas) {
    String name = s.name();
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName(StreamTableClusterNames.cdcStatefulSet(name))
        .withNamespace(s.namespace())
        .withLabels(s.labels(StreamTableClusterNames.CDC_COMPONENT))
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withServiceName(StreamTableClusterNames.cdcStatefulSet(name))
        .withPodManagementPolicy("Parallel")
        .withNewUpdateStrategy()
        .withType("RollingUpdate")
        .endUpdateStrategy()
        .withNewSelector()
        .withMatchLabels(
            StreamTableClusterNames.podSelector(name, StreamTableClusterNames.CDC_COMPONENT))
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(s.labels(StreamTableClusterNames.CDC_COMPONENT))
        .withAnnotations(PipelinePods.annotations(s))
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(StreamTableClusterNames.cdcServiceAccount(name))
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
        .withSecurityContext(PipelinePods.podSecurity())
        .withContainers(container(s, podEnv(s, replicas)))
        .withVolumes(PipelinePods.tmpVolume())
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /** The StatefulSet pods' environment: {@link #env} and, when asked for, OTLP export. */
  static List<EnvVar> podEnv(PipelineSettings s, int replicas) {
    List<EnvVar> env = env(s, replicas, null);
    if (s.otlp() != null) {
      env.addAll(
          s.otlp()
              .env(
                  s,
                  CONTAINER,
                  "k8s.statefulset.name",
                  StreamTableClusterNames.cdcStatefulSet(s.name())));
    }
    return env;
  }

  static Container container(PipelineSettings s, List<EnvVar> env) {
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(s.cdcImage())
        .withArgs("run")
        .withEnv(env)
        .withPorts(PipelinePods.metricsPort())
        .withResources(s.cdcResources())
        .withStartupProbe(PipelinePods.startup())
        .withLivenessProbe(PipelinePods.liveness())
        .withReadinessProbe(PipelinePods.readiness())
        .withSecurityContext(PipelinePods.containerSecurity())
        .withTerminationMessagePolicy(PipelinePods.TERMINATION_MESSAGE_POLICY)
        .withVolumeMounts(PipelinePods.tmpMount())
        .build();
  }

  /**
   * The consumer's environment (cdc-consumer/README.md): the source, credentials from the Secret,
   * the change log, the slot prefix, how many consumers share the catalog.
   *
   * @param ordinal null in the StatefulSet (taken from HOSTNAME), or the ordinal a decommission Job
   *     acts for
   */
  static List<EnvVar> env(PipelineSettings s, int replicas, Integer ordinal) {
    List<EnvVar> env = new ArrayList<>();
    env.add(PipelinePods.env("PGTRICKLE_SOURCE_URL", s.jdbcUrl()));
    env.add(PipelinePods.fromSecret(s, "PGTRICKLE_SOURCE_USER", PipelineSettings.USERNAME_KEY));
    env.add(PipelinePods.fromSecret(s, "PGTRICKLE_SOURCE_PASSWORD", PipelineSettings.PASSWORD_KEY));
    // After the two above: the kubelet expands $(VAR) only from variables defined earlier.
    env.add(PipelinePods.env("PGTRICKLE_CHANGELOG_URI", s.changeLog().uri()));
    env.add(
        PipelinePods.env("PGTRICKLE_SLOT_PREFIX", StreamTableClusterNames.slotPrefix(s.name())));
    env.add(PipelinePods.env("PGTRICKLE_REPLICAS", String.valueOf(replicas)));
    if (ordinal != null) {
      env.add(PipelinePods.env("PGTRICKLE_ORDINAL", String.valueOf(ordinal)));
    }
    if (s.members() != null) {
      env.add(PipelinePods.env("PGTRICKLE_SOURCE_MEMBERS", s.members()));
      // The operator's cluster: before PostgreSQL 17 the slot is a Patroni permanent slot, whose
      // copies on the replicas Patroni keeps on purpose (PipelineSlot), so the consumer must not
      // drop them: that would fight Patroni (it copies the slot again, restarting the replica's
      // PostgreSQL) and lose the copy a failover needs. On 17+ this setting does not apply.
      env.add(PipelinePods.env("PGTRICKLE_DROP_STANDBY_SLOT_COPIES", "false"));
    }
    env.add(PipelinePods.env("PGTRICKLE_HTTP_PORT", String.valueOf(PipelinePods.METRICS_PORT)));
    return env;
  }
}
