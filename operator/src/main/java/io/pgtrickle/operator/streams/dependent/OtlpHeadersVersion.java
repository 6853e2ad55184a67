package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which version of the OTLP headers' Secret ({@code spec.monitoring.otlp.headersSecretRef}) the
 * pods read. A variable from a Secret is read when the container starts, so the round puts the
 * Secret's {@code resourceVersion} ({@value #ABSENT} while it does not exist) into the workflow
 * context and the dependents stamp it on the pod templates: creating the Secret, or rotating the
 * token in it, rolls the CDC consumers and workers once to read it.
 */
public final class OtlpHeadersVersion {

  /** The key the round puts the version under (a String), only when a headers Secret is named. */
  public static final String KEY = "otlpHeadersVersion";

  /** The pod template's annotation. */
  public static final String ANNOTATION = "trickle-labs.io/otlp-headers-version";

  /** The value while the Secret does not exist. */
  public static final String ABSENT = "absent";

  private OtlpHeadersVersion() {}

  /** The version to stamp for {@code secret} as read from the namespace (null when missing). */
  public static String of(Secret secret) {
    return secret == null ? ABSENT : secret.getMetadata().getResourceVersion();
  }

  /** Stamps the round's version on {@code template}, when the round put one. */
  static void stamp(PodTemplateSpec template, Context<StreamTableCluster> context) {
    context
        .managedWorkflowAndDependentResourceContext()
        .get(KEY, String.class)
        .ifPresent(
            version -> {
              Map<String, String> annotations =
                  template.getMetadata().getAnnotations() == null
                      ? new LinkedHashMap<>()
                      : new LinkedHashMap<>(template.getMetadata().getAnnotations());
              annotations.put(ANNOTATION, version);
              template.getMetadata().setAnnotations(annotations);
            });
  }
}
