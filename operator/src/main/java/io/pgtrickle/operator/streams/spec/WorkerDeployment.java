package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.pgtrickle.operator.api.streams.WorkersSpec.Autoscaler;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import java.util.ArrayList;
import java.util.List;

/**
 * The workers' Deployment {@code NAME-worker}. Workers are stateless (claims and frontiers live in
 * the database), so any number can run; a rollout adds one before it removes one.
 *
 * <p>Graceful drain: on SIGTERM a worker takes no new refresh, lets the ones in progress finish
 * within {@code PGTRICKLE_DRAIN_TIMEOUT_MS} ({@value #DRAIN_TIMEOUT_MS} ms), releases its lease and
 * exits 0; the grace period ({@value #TERMINATION_GRACE_SECONDS} s) leaves 10 s beyond that before
 * the kubelet kills it. A refresh cut short anyway is rolled back and redone by another worker,
 * never applied twice (each refresh commits its rows and frontier in one transaction).
 *
 * <p>Replicas: with an autoscaler the spec leaves {@code replicas} out, so the HPA alone owns it
 * (server-side apply would otherwise reset every scaling decision); without one it is {@code
 * workers.min}. When an autoscaler is switched on, the dependent first hands the live count over
 * ({@link ReplicasHandover}) so that leaving the field out does not reset it to 1. The Deployment
 * is created with {@code workers.min} either way ({@link #forCreation}): created without the field
 * it would start 1 worker until the HPA raised it to its minimum.
 */
public final class WorkerDeployment {

  public static final String CONTAINER = "worker";
  public static final long DRAIN_TIMEOUT_MS = 50_000;
  public static final long TERMINATION_GRACE_SECONDS = 60;

  /**
   * The worker JVM's options ({@code JAVA_TOOL_OPTIONS}, so they apply whatever the image's
   * entrypoint): the worker's own computing is small (the refreshes run in PostgreSQL), and on a
   * 2-core machine C2's compiler threads took most of each worker JVM's CPU (2.6 of 3.6 s of CPU in
   * a worker's first half minute, 9.8 of 13 s after 2.5 minutes on the ingest lease holder: {@code
   * make bench-pipeline}, /proc per thread), repeated by every replica the HPA adds. C1 only
   * ({@code TieredStopAtLevel=1}) and the serial collector (no concurrent GC threads) leave the
   * cores to PostgreSQL.
   */
  public static final String JAVA_TOOL_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

  private WorkerDeployment() {}

  /**
   * The Deployment as it is first created: {@link #build} with {@code replicas: workers.min} also
   * when an autoscaler owns the count later. The operator's first apply then owns the field, and
   * its next apply, without it, hands it over ({@link ReplicasHandover}) as when an autoscaler is
   * switched on, so the count stays until the autoscaler changes it.
   */
  public static Deployment forCreation(PipelineSettings s) {
    Deployment deployment = build(s);
    deployment.getSpec().setReplicas(s.workersMin());
    return deployment;
  }

  public static Deployment build(PipelineSettings s) {
    String name = s.name();
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(StreamTableClusterNames.workerDeployment(name))
        .withNamespace(s.namespace())
        .withLabels(s.labels(StreamTableClusterNames.WORKER_COMPONENT))
        .endMetadata()
        .withNewSpec()
        .withReplicas(s.autoscaler() == Autoscaler.NONE ? s.workersMin() : null)
        .withNewStrategy()
        .withType("RollingUpdate")
        .withNewRollingUpdate()
        .withMaxSurge(new IntOrString(1))
        .withMaxUnavailable(new IntOrString(0))
        .endRollingUpdate()
        .endStrategy()
        .withNewSelector()
        .withMatchLabels(
            StreamTableClusterNames.podSelector(name, StreamTableClusterNames.WORKER_COMPONENT))
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(s.labels(StreamTableClusterNames.WORKER_COMPONENT))
        .withAnnotations(PipelinePods.annotations(s))
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(StreamTableClusterNames.workerServiceAccount(name))
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
        .withSecurityContext(PipelinePods.podSecurity())
        .withContainers(
            new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(s.workerImage())
                .withArgs("run")
                .withEnv(env(s))
                .withPorts(PipelinePods.metricsPort())
                .withResources(s.workerResources())
                .withStartupProbe(PipelinePods.startup())
                .withLivenessProbe(PipelinePods.liveness())
                .withReadinessProbe(PipelinePods.readiness())
                .withSecurityContext(PipelinePods.containerSecurity())
                .withTerminationMessagePolicy(PipelinePods.TERMINATION_MESSAGE_POLICY)
                .withVolumeMounts(PipelinePods.tmpMount())
                .build())
        .withVolumes(PipelinePods.tmpVolume())
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /** The worker's environment (CONTRACTS.md §6), credentials from the Secret. */
  static List<EnvVar> env(PipelineSettings s) {
    List<EnvVar> env = new ArrayList<>();
    env.add(PipelinePods.env("PGTRICKLE_DATABASE_URL", s.jdbcUrl()));
    env.add(PipelinePods.fromSecret(s, "PGTRICKLE_DATABASE_USER", PipelineSettings.USERNAME_KEY));
    env.add(
        PipelinePods.fromSecret(s, "PGTRICKLE_DATABASE_PASSWORD", PipelineSettings.PASSWORD_KEY));
    env.add(PipelinePods.env("PGTRICKLE_CHANGELOG_URI", s.changeLog().uri()));
    env.add(PipelinePods.fromField("PGTRICKLE_WORKER_ID", "metadata.name"));
    env.add(PipelinePods.env("PGTRICKLE_DRAIN_TIMEOUT_MS", String.valueOf(DRAIN_TIMEOUT_MS)));
    env.add(PipelinePods.env("PGTRICKLE_HTTP_PORT", String.valueOf(PipelinePods.METRICS_PORT)));
    env.add(PipelinePods.env("JAVA_TOOL_OPTIONS", JAVA_TOOL_OPTIONS));
    if (s.otlp() != null) {
      env.addAll(
          s.otlp()
              .env(
                  s,
                  CONTAINER,
                  "k8s.deployment.name",
                  StreamTableClusterNames.workerDeployment(s.name())));
    }
    return env;
  }
}
