package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.pgtrickle.operator.spec.RestrictedSecurity;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the CDC consumer and worker pods share: the metrics port, probes, the restricted security
 * context (both images run as uid 1000 and write only /tmp), Prometheus annotations, and
 * credentials from the Secret.
 */
public final class PipelinePods {

  /**
   * The containers' {@code terminationMessagePolicy}: a container that fails leaves the end of its
   * log as its termination message (the kubelet's last 80 lines or 2 KiB), so the pipeline's
   * condition can say why it crashed, e.g. the JVM's "Terminating due to
   * java.lang.OutOfMemoryError: Java heap space" (both images run with {@code
   * -XX:+ExitOnOutOfMemoryError}, exit code 3), not only "exit code 3". The programs log no secret.
   */
  public static final String TERMINATION_MESSAGE_POLICY = "FallbackToLogsOnError";

  /** Name and number of the port serving /healthz, /readyz and /metrics (PGTRICKLE_HTTP_PORT). */
  public static final String METRICS_PORT_NAME = "metrics";

  public static final int METRICS_PORT = 8080;

  /** How long a program may take to serve /healthz after its start. */
  public static final int STARTUP_SECONDS = 180;

  public static final long UID = 1000L;

  private PipelinePods() {}

  static ContainerPort metricsPort() {
    return new ContainerPortBuilder()
        .withName(METRICS_PORT_NAME)
        .withContainerPort(METRICS_PORT)
        .withProtocol("TCP")
        .build();
  }

  /**
   * Startup: the program's /healthz, every 2 s for up to {@value #STARTUP_SECONDS} s. Liveness and
   * readiness wait for it, so a JVM that starts slowly on a busy node (several workers the HPA adds
   * at once) is not restarted before it has begun to answer.
   */
  static Probe startup() {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath("/healthz")
        .withNewPort(METRICS_PORT_NAME)
        .endHttpGet()
        .withPeriodSeconds(2)
        .withTimeoutSeconds(3)
        .withFailureThreshold(STARTUP_SECONDS / 2)
        .build();
  }

  /** Liveness: the program's /healthz, which fails when it is stuck (a restart helps). */
  static Probe liveness() {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath("/healthz")
        .withNewPort(METRICS_PORT_NAME)
        .endHttpGet()
        .withInitialDelaySeconds(10)
        .withPeriodSeconds(10)
        .withTimeoutSeconds(3)
        .withFailureThreshold(3)
        .build();
  }

  /** Readiness: the program's /readyz (streaming, or claiming work). */
  static Probe readiness() {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath("/readyz")
        .withNewPort(METRICS_PORT_NAME)
        .endHttpGet()
        .withPeriodSeconds(5)
        .withTimeoutSeconds(3)
        .withFailureThreshold(2)
        .build();
  }

  static PodSecurityContext podSecurity() {
    return RestrictedSecurity.pod(UID);
  }

  static SecurityContext containerSecurity() {
    return RestrictedSecurity.container();
  }

  /** A writable /tmp on a read-only root filesystem. */
  static Volume tmpVolume() {
    return new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build();
  }

  static VolumeMount tmpMount() {
    return new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build();
  }

  /** Prometheus' conventional scrape annotations, when asked for. */
  static Map<String, String> annotations(PipelineSettings s) {
    Map<String, String> annotations = new LinkedHashMap<>();
    if (s.prometheus()) {
      annotations.put("prometheus.io/scrape", "true");
      annotations.put("prometheus.io/port", String.valueOf(METRICS_PORT));
      annotations.put("prometheus.io/path", "/metrics");
    }
    return annotations;
  }

  static EnvVar env(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  /** A variable from a key of the credentials Secret: the value never appears in the spec. */
  static EnvVar fromSecret(PipelineSettings s, String name, String key) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewSecretKeyRef()
        .withName(s.secretName())
        .withKey(key)
        .withOptional(false)
        .endSecretKeyRef()
        .endValueFrom()
        .build();
  }

  static EnvVar fromField(String name, String fieldPath) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(fieldPath)
        .endFieldRef()
        .endValueFrom()
        .build();
  }
}
