package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** spec.monitoring.otlp → the OTEL_* variables of the CDC consumer and worker pods. */
class OtlpExportTest {

  static final String OTLP =
      "{postgresql: {clusterRef: {name: db}, database: app}, workers: {min: 2, max: 8},"
          + " monitoring: {otlp: {endpoint: 'otel-collector.monitoring.svc:4317'}}}";

  @Test
  void withoutOtlpNoPodGetsAnyOtelVariable() {
    PipelineSettings s = Pipelines.settings(Pipelines.REF);
    assertThat(s.otlp()).isNull();
    assertThat(names(cdc(s))).noneMatch(n -> n.startsWith("OTEL_"));
    assertThat(names(worker(s))).noneMatch(n -> n.startsWith("OTEL_"));
  }

  @Test
  void bothProgramsExportToTheCollectorAndSayWhoTheyAre() {
    PipelineSettings s = Pipelines.settings(OTLP);
    Map<String, EnvVar> cdc = byName(cdc(s));
    assertThat(cdc.get("OTEL_EXPORTER_OTLP_ENDPOINT").getValue())
        .isEqualTo("http://otel-collector.monitoring.svc:4317");
    assertThat(cdc.get("OTEL_EXPORTER_OTLP_PROTOCOL").getValue()).isEqualTo("grpc");
    assertThat(cdc.get("OTEL_SERVICE_NAME").getValue()).isEqualTo("orders-cdc");
    assertThat(cdc.get("K8S_POD_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(cdc.get("OTEL_RESOURCE_ATTRIBUTES").getValue())
        .isEqualTo(
            "service.namespace=prod,service.instance.id=$(K8S_POD_NAME),k8s.namespace.name=prod,"
                + "k8s.pod.name=$(K8S_POD_NAME),k8s.statefulset.name=orders-cdc,"
                + "pgtrickle.stream_table_cluster=orders,pgtrickle.program=cdc-consumer");
    assertThat(cdc).doesNotContainKey("OTEL_EXPORTER_OTLP_HEADERS");
    // The kubelet expands $(K8S_POD_NAME) only when it is defined before.
    List<String> order = names(cdc(s));
    assertThat(order.indexOf("K8S_POD_NAME")).isLessThan(order.indexOf("OTEL_RESOURCE_ATTRIBUTES"));

    Map<String, EnvVar> worker = byName(worker(s));
    assertThat(worker.get("OTEL_EXPORTER_OTLP_ENDPOINT").getValue())
        .isEqualTo("http://otel-collector.monitoring.svc:4317");
    assertThat(worker.get("OTEL_SERVICE_NAME").getValue()).isEqualTo("orders-worker");
    assertThat(worker.get("OTEL_RESOURCE_ATTRIBUTES").getValue())
        .contains("k8s.deployment.name=orders-worker")
        .endsWith("pgtrickle.stream_table_cluster=orders,pgtrickle.program=worker");
  }

  @Test
  void httpProtobufTakesItsPortAndHeadersComeOnlyFromTheSecret() {
    PipelineSettings s =
        Pipelines.settings(
            "{postgresql: {clusterRef: {name: db}, database: app}, workers: {min: 1},"
                + " monitoring: {otlp: {endpoint: 'https://collector.example.com/', protocol:"
                + " http/protobuf, headersSecretRef: {name: otlp-auth}}}}");
    Map<String, EnvVar> worker = byName(worker(s));
    assertThat(worker.get("OTEL_EXPORTER_OTLP_ENDPOINT").getValue())
        .isEqualTo("https://collector.example.com:4318");
    assertThat(worker.get("OTEL_EXPORTER_OTLP_PROTOCOL").getValue()).isEqualTo("http/protobuf");
    EnvVar headers = worker.get("OTEL_EXPORTER_OTLP_HEADERS");
    assertThat(headers.getValue()).isNull();
    assertThat(headers.getValueFrom().getSecretKeyRef().getName()).isEqualTo("otlp-auth");
    assertThat(headers.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("headers");
    assertThat(headers.getValueFrom().getSecretKeyRef().getOptional()).isTrue();
    assertThat(byName(cdc(s)).get("OTEL_EXPORTER_OTLP_HEADERS").getValueFrom().getSecretKeyRef())
        .isNotNull();
  }

  @Test
  void theDecommissionJobExportsNothing() {
    PipelineSettings s = Pipelines.settings(OTLP);
    assertThat(
            DecommissionJob.build(s, 1, 2)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv()
                .stream()
                .map(EnvVar::getName))
        .noneMatch(n -> n.startsWith("OTEL_"));
  }

  private static Container cdc(PipelineSettings s) {
    return CdcStatefulSet.build(s, 1).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static Container worker(PipelineSettings s) {
    return WorkerDeployment.build(s).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static List<String> names(Container c) {
    return c.getEnv().stream().map(EnvVar::getName).toList();
  }

  private static Map<String, EnvVar> byName(Container c) {
    return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, Function.identity()));
  }

  /**
   * The headers' Secret is an optional secretKeyRef: without it (or its key) the pods run and
   * export without the headers, and MonitoringReady says why.
   */
  @Test
  void aMissingHeadersSecretOrKeyIsNamed() {
    OtlpExport otlp = new OtlpExport("http://c:4318", "http/protobuf", "otlp-auth");
    var missing = otlp.headersProblem(null, "prod");
    assertThat(missing.reason()).isEqualTo("SecretNotFound");
    assertThat(missing.message())
        .isEqualTo(
            "Secret otlp-auth (spec.monitoring.otlp.headersSecretRef) does not exist in namespace"
                + " prod: the CDC consumer and worker pods export telemetry without the headers until"
                + " it exists (they restart to read it then)");
    var noKey =
        otlp.headersProblem(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("otlp-auth")
                .endMetadata()
                .addToData("Authorization", "eA==")
                .build(),
            "prod");
    assertThat(noKey.reason()).isEqualTo("SecretInvalid");
    assertThat(noKey.message())
        .isEqualTo(
            "Secret otlp-auth (spec.monitoring.otlp.headersSecretRef) has no key headers (it"
                + " holds the OTLP headers, e.g. Authorization=Bearer TOKEN): the CDC consumer and"
                + " worker pods export telemetry without the headers until it has (they restart to"
                + " read it then)");
    for (var ok :
        List.of(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .addToData("headers", "eA==")
                .build(),
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .addToStringData("headers", "a=b")
                .build())) {
      assertThat(otlp.headersProblem(ok, "prod")).isNull();
    }
    assertThat(new OtlpExport("http://c:4317", "grpc", null).headersProblem(null, "prod")).isNull();
  }
}
