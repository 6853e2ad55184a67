package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.streams.MonitoringSpec.OtlpSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code spec.monitoring.otlp} resolved: the collector's URL, the protocol and the headers' Secret,
 * and the standard OpenTelemetry variables the CDC consumer and worker pods get from it
 * (telemetry/README.md). Pure.
 *
 * @param endpoint the collector's base URL, {@code http(s)://host:port}, the protocol's port when
 *     the spec gives none (4317 grpc, 4318 http/protobuf)
 * @param protocol {@code grpc} or {@code http/protobuf}
 * @param headersSecret the Secret whose key {@value #HEADERS_KEY} holds the headers, or null
 */
public record OtlpExport(String endpoint, String protocol, String headersSecret) {

  /** The key of the headers in {@link #headersSecret}. */
  public static final String HEADERS_KEY = "headers";

  /** The pod's name from the downward API, used in OTEL_RESOURCE_ATTRIBUTES. */
  public static final String POD_NAME_VAR = "K8S_POD_NAME";

  /**
   * Resolves the spec (the API server validated it: {@link OtlpSpec#ENDPOINT_PATTERN}).
   *
   * @return null without {@code otlp}
   */
  public static OtlpExport of(OtlpSpec spec) {
    if (spec == null || spec.getEndpoint() == null || spec.getEndpoint().isBlank()) {
      return null;
    }
    String protocol =
        spec.getProtocol() == null || spec.getProtocol().isBlank()
            ? OtlpSpec.GRPC
            : spec.getProtocol();
    String e = spec.getEndpoint().trim();
    if (e.endsWith("/")) {
      e = e.substring(0, e.length() - 1);
    }
    if (!e.startsWith("http://") && !e.startsWith("https://")) {
      e = "http://" + e;
    }
    String hostPort = e.substring(e.indexOf("://") + 3);
    if (!hostPort.contains(":")) {
      e = e + ":" + (OtlpSpec.HTTP_PROTOBUF.equals(protocol) ? 4318 : 4317);
    }
    String secret =
        spec.getHeadersSecretRef() == null ? null : spec.getHeadersSecretRef().getName();
    return new OtlpExport(e, protocol, secret);
  }

  /**
   * Why the pods export without the headers of {@link #headersSecret}: their {@code secretKeyRef}
   * is optional, so a missing Secret or key never stops the CDC consumers and workers (a non
   * optional one kept new pods in CreateContainerConfigError, and a StatefulSet's rolling update
   * stopped change capture for a telemetry setting); the collector may refuse what they send until
   * the Secret is right, and they restart to read it ({@code SecretVersions}).
   *
   * @param reason {@code SecretNotFound} or {@code SecretInvalid}, as for the database's Secret
   * @param message naming the Secret and the field
   */
  public record HeadersProblem(String reason, String message) {}

  /**
   * Checks the headers' Secret as the kubelet will.
   *
   * @param secret {@link #headersSecret} as read from the namespace, null when it does not exist
   * @param namespace the pipeline's namespace, for the message
   * @return the problem, or null when there is none (or no headers Secret is named)
   */
  public HeadersProblem headersProblem(Secret secret, String namespace) {
    if (headersSecret == null) {
      return null;
    }
    String named = "Secret " + headersSecret + " (spec.monitoring.otlp.headersSecretRef)";
    String consequence =
        ": the CDC consumer and worker pods export telemetry without the headers until it"
            + " exists (they restart to read it then)";
    if (secret == null) {
      return new HeadersProblem(
          "SecretNotFound", named + " does not exist in namespace " + namespace + consequence);
    }
    boolean hasKey =
        (secret.getData() != null && secret.getData().containsKey(HEADERS_KEY))
            || (secret.getStringData() != null && secret.getStringData().containsKey(HEADERS_KEY));
    if (!hasKey) {
      return new HeadersProblem(
          "SecretInvalid",
          named
              + " has no key "
              + HEADERS_KEY
              + " (it holds the OTLP headers, e.g. Authorization=Bearer TOKEN): the CDC consumer"
              + " and worker pods export telemetry without the headers until it has (they restart"
              + " to read it then)");
    }
    return null;
  }

  /**
   * The pod's OpenTelemetry variables: service.name is the workload's name, the resource says which
   * StreamTableCluster, namespace, pod and program it is.
   *
   * @param s the pipeline
   * @param program {@code cdc-consumer} or {@code worker}
   * @param workloadKey {@code k8s.statefulset.name} or {@code k8s.deployment.name}
   * @param workloadName the StatefulSet's or Deployment's name
   * @return the variables, in order ({@value #POD_NAME_VAR} before the attributes that use it)
   */
  public List<EnvVar> env(
      PipelineSettings s, String program, String workloadKey, String workloadName) {
    List<EnvVar> env = new ArrayList<>();
    env.add(PipelinePods.fromField(POD_NAME_VAR, "metadata.name"));
    env.add(PipelinePods.env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint));
    env.add(PipelinePods.env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol));
    env.add(PipelinePods.env("OTEL_SERVICE_NAME", workloadName));
    String pod = "$(" + POD_NAME_VAR + ")";
    env.add(
        PipelinePods.env(
            "OTEL_RESOURCE_ATTRIBUTES",
            String.join(
                ",",
                "service.namespace=" + s.namespace(),
                "service.instance.id=" + pod,
                "k8s.namespace.name=" + s.namespace(),
                "k8s.pod.name=" + pod,
                workloadKey + "=" + workloadName,
                "pgtrickle.stream_table_cluster=" + s.name(),
                "pgtrickle.program=" + program)));
    if (headersSecret != null) {
      env.add(
          new EnvVarBuilder()
              .withName("OTEL_EXPORTER_OTLP_HEADERS")
              .withNewValueFrom()
              .withNewSecretKeyRef()
              .withName(headersSecret)
              .withKey(HEADERS_KEY)
              .withOptional(true)
              .endSecretKeyRef()
              .endValueFrom()
              .build());
    }
    return env;
  }
}
