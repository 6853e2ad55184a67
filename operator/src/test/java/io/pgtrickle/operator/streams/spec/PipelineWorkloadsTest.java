package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The CDC StatefulSet, the worker Deployment and the decommission Job. */
class PipelineWorkloadsTest {

  @Test
  void cdcConsumersGetOneSlotEachAndCredentialsOnlyFromTheSecret() {
    PipelineSettings s = Pipelines.settings(Pipelines.REF);
    StatefulSet sts = CdcStatefulSet.build(s, 1);
    assertThat(sts.getMetadata().getName()).isEqualTo("orders-cdc");
    assertThat(sts.getSpec().getServiceName()).isEqualTo("orders-cdc");
    assertThat(sts.getSpec().getReplicas()).isEqualTo(1);
    PodSpec pod = sts.getSpec().getTemplate().getSpec();
    Map<String, EnvVar> env = env(pod.getContainers().get(0));
    assertThat(env.get("PGTRICKLE_SOURCE_URL").getValue())
        .isEqualTo("jdbc:postgresql://db-primary:5432/app");
    assertThat(env.get("PGTRICKLE_SOURCE_PASSWORD").getValue()).isNull();
    assertThat(env.get("PGTRICKLE_SOURCE_PASSWORD").getValueFrom().getSecretKeyRef().getName())
        .isEqualTo("db-credentials");
    assertThat(env.get("PGTRICKLE_SOURCE_USER").getValueFrom().getSecretKeyRef().getKey())
        .isEqualTo("username");
    assertThat(env.get("PGTRICKLE_SLOT_PREFIX").getValue()).isEqualTo("pgtrickle_orders_");
    assertThat(env.get("PGTRICKLE_REPLICAS").getValue()).isEqualTo("1");
    assertThat(env.get("PGTRICKLE_SOURCE_MEMBERS").getValue()).isEqualTo("db-pods.prod.svc");
    assertThat(env.get("PGTRICKLE_DROP_STANDBY_SLOT_COPIES").getValue())
        .as("Patroni keeps the slot's copies on the replicas on purpose (permanent slot)")
        .isEqualTo("false");
    assertThat(env).doesNotContainKey("PGTRICKLE_ORDINAL");
    // $(VAR) references only to variables defined before.
    assertThat(
            pod.getContainers().get(0).getEnv().stream()
                .map(EnvVar::getName)
                .toList()
                .indexOf("PGTRICKLE_CHANGELOG_URI"))
        .isGreaterThan(2);
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getServiceAccountName()).isEqualTo("orders-cdc");
    assertThat(pod.getContainers().get(0).getLivenessProbe().getHttpGet().getPath())
        .isEqualTo("/healthz");
    assertThat(pod.getContainers().get(0).getStartupProbe().getHttpGet().getPath())
        .isEqualTo("/healthz");
    assertThat(
            pod.getContainers().get(0).getStartupProbe().getPeriodSeconds()
                * pod.getContainers().get(0).getStartupProbe().getFailureThreshold())
        .isEqualTo(180);
    assertThat(pod.getContainers().get(0).getReadinessProbe().getHttpGet().getPath())
        .isEqualTo("/readyz");
    // A slow start (busy node, catalog install) is not a failed liveness probe.
    assertThat(pod.getContainers().get(0).getStartupProbe().getHttpGet().getPath())
        .isEqualTo("/healthz");
    assertThat(
            pod.getContainers().get(0).getStartupProbe().getPeriodSeconds()
                * pod.getContainers().get(0).getStartupProbe().getFailureThreshold())
        .isEqualTo(PipelinePods.STARTUP_SECONDS);
    assertThat(pod.getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem())
        .isTrue();
    assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations()).isEmpty();
  }

  @Test
  void containersGetDefaultResourcesUnlessTheSpecGivesSome() {
    PipelineSettings defaults = Pipelines.settings(Pipelines.REF);
    Container cdc =
        CdcStatefulSet.build(defaults, 1).getSpec().getTemplate().getSpec().getContainers().get(0);
    Container worker =
        WorkerDeployment.build(defaults).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(cdc.getResources().getRequests())
        .containsEntry("cpu", new Quantity("250m"))
        .containsEntry("memory", new Quantity("512Mi"));
    assertThat(cdc.getResources().getLimits())
        .containsOnlyKeys("memory")
        .containsEntry("memory", new Quantity("1Gi"));
    assertThat(worker.getResources().getRequests())
        .containsEntry("cpu", new Quantity("100m"))
        .containsEntry("memory", new Quantity("256Mi"));
    assertThat(worker.getResources().getLimits()).containsOnlyKeys("memory");

    PipelineSettings given =
        Pipelines.settings(
            "{postgresql: {clusterRef: {name: db}, database: app}, workers: {max: 4, resources:"
                + " {limits: {cpu: 2}}}, cdc: {resources: {requests: {memory: 3Gi}}}}");
    Container givenWorker =
        WorkerDeployment.build(given).getSpec().getTemplate().getSpec().getContainers().get(0);
    Container givenCdc =
        CdcStatefulSet.build(given, 1).getSpec().getTemplate().getSpec().getContainers().get(0);
    // As given, not merged with the defaults: a limit alone makes the requests equal to it.
    assertThat(givenWorker.getResources().getRequests()).isNullOrEmpty();
    assertThat(givenWorker.getResources().getLimits()).containsOnlyKeys("cpu");
    assertThat(givenCdc.getResources().getRequests()).containsOnlyKeys("memory");
    assertThat(givenCdc.getResources().getLimits()).isNullOrEmpty();
    // The defaults are never shared, so nothing a caller changes leaks into another pipeline.
    assertThat(cdc.getResources()).isNotSameAs(PipelineResources.CDC_DEFAULT);
  }

  @Test
  void prometheusAnnotationsWhenAskedFor() {
    PipelineSettings s = Pipelines.settings(Pipelines.NATS);
    assertThat(CdcStatefulSet.build(s, 3).getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "8080");
    assertThat(
            env(CdcStatefulSet.build(s, 3).getSpec().getTemplate().getSpec().getContainers().get(0))
                .get("PGTRICKLE_CHANGELOG_URI")
                .getValue())
        .isEqualTo("nats://nats:4222?stream=pgtrickle-prod-orders");
    // A server by host: its slot copies may be kept on purpose (permanent slots).
    assertThat(
            env(
                CdcStatefulSet.build(s, 3)
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getContainers()
                    .get(0)))
        .doesNotContainKey("PGTRICKLE_DROP_STANDBY_SLOT_COPIES");
  }

  @Test
  void workersLeaveReplicasToTheAutoscalerAndDrainWithinTheGracePeriod() {
    Deployment hpa = WorkerDeployment.build(Pipelines.settings(Pipelines.REF));
    assertThat(hpa.getMetadata().getName()).isEqualTo("orders-worker");
    assertThat(hpa.getSpec().getReplicas()).isNull();
    assertThat(hpa.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal())
        .isZero();
    PodSpec pod = hpa.getSpec().getTemplate().getSpec();
    Map<String, EnvVar> env = env(pod.getContainers().get(0));
    assertThat(env.get("PGTRICKLE_DATABASE_PASSWORD").getValueFrom().getSecretKeyRef().getName())
        .isEqualTo("db-credentials");
    // No credentials in the URI: the worker adds its own, percent-encoded.
    assertThat(env.get("PGTRICKLE_CHANGELOG_URI").getValue())
        .isEqualTo("postgresql://db-primary:5432/app?schema=pgtrickle_changelog");
    long drainMs = Long.parseLong(env.get("PGTRICKLE_DRAIN_TIMEOUT_MS").getValue());
    assertThat(pod.getTerminationGracePeriodSeconds() * 1000).isGreaterThan(drainMs);
    assertThat(env.get("PGTRICKLE_WORKER_ID").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(env.get("JAVA_TOOL_OPTIONS").getValue())
        .contains("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    assertThat(pod.getContainers().get(0).getStartupProbe().getHttpGet().getPath())
        .isEqualTo("/healthz");

    Deployment fixed = WorkerDeployment.build(Pipelines.settings(Pipelines.NATS));
    assertThat(fixed.getSpec().getReplicas()).isEqualTo(1);
  }

  /** Created with workers.min under an autoscaler too; otherwise the same Deployment. */
  @Test
  void workersAreCreatedWithTheirMinimum() {
    PipelineSettings settings =
        Pipelines.settings(
            "{postgresql: {clusterRef: {name: db}, database: app}, workers: {min: 3, max: 8}}");
    Deployment created = WorkerDeployment.forCreation(settings);
    assertThat(created.getSpec().getReplicas()).isEqualTo(3);
    Deployment applied = WorkerDeployment.build(settings);
    assertThat(applied.getSpec().getReplicas()).isNull();
    applied.getSpec().setReplicas(3);
    assertThat(created).isEqualTo(applied);
  }

  @Test
  void decommissionRunsTheConsumerForOneOrdinal() {
    PipelineSettings s = Pipelines.settings(Pipelines.NATS);
    Job job = DecommissionJob.build(s, 2, 3);
    assertThat(job.getMetadata().getName()).isEqualTo("orders-cdc-drop-2");
    Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getArgs()).containsExactly("decommission");
    assertThat(env(c).get("PGTRICKLE_ORDINAL").getValue()).isEqualTo("2");
    assertThat(env(c).get("PGTRICKLE_REPLICAS").getValue()).isEqualTo("3");
    assertThat(c.getReadinessProbe()).isNull();
    assertThat(c.getStartupProbe()).isNull();
    assertThat(job.getMetadata().getLabels()).containsEntry(DecommissionJob.ORDINAL_LABEL, "2");
  }

  private static Map<String, EnvVar> env(Container c) {
    return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
  }
}
