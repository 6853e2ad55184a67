package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which versions of their Secrets the CDC consumer and worker pods read. A variable from a Secret
 * is read when the container starts, so the round puts each Secret's {@code resourceVersion} into
 * the workflow context and the dependents stamp it on the pod templates: a change rolls the pods
 * once to read it.
 *
 * <ul>
 *   <li>The database's Secret ({@code spec.postgresql.secretRef}, or the PostgresCluster's {@code
 *       NAME-credentials}): a new password (set by the user, or generated again by the operator for
 *       a deleted Secret, and applied to the role) reaches the pods. Before, they kept the old one
 *       and stayed not ready on "the source refused the password" while WAL was retained. While the
 *       Secret does not exist the stamp stays as it was: new pods could not start without it (a
 *       StatefulSet's rolling update would stop change capture).
 *   <li>The OTLP headers' Secret ({@code spec.monitoring.otlp.headersSecretRef}): optional in the
 *       pods, so {@value #ABSENT} is stamped while it does not exist; creating it or rotating the
 *       token rolls the pods.
 * </ul>
 */
public final class SecretVersions {

  /** The key of the database Secret's version (a String) in the workflow context. */
  public static final String DATABASE_KEY = "databaseSecretVersion";

  /** The pod template's annotation for the database Secret. */
  public static final String DATABASE_ANNOTATION = "trickle-labs.io/database-secret-version";

  /** The key of the OTLP headers' version, only when a headers Secret is named. */
  public static final String OTLP_HEADERS_KEY = "otlpHeadersVersion";

  /** The pod template's annotation for the OTLP headers' Secret. */
  public static final String OTLP_HEADERS_ANNOTATION = "trickle-labs.io/otlp-headers-version";

  /** The value while a Secret does not exist. */
  public static final String ABSENT = "absent";

  private SecretVersions() {}

  /** The version to stamp for {@code secret} as read from the namespace (null when missing). */
  public static String of(Secret secret) {
    return secret == null ? ABSENT : secret.getMetadata().getResourceVersion();
  }

  /**
   * Stamps the round's versions on {@code template}.
   *
   * @param live the live workload's pod template, or null: its database stamp is kept while the
   *     Secret does not exist
   */
  static void stamp(
      PodTemplateSpec template, PodTemplateSpec live, Context<StreamTableCluster> context) {
    var values = context.managedWorkflowAndDependentResourceContext();
    Map<String, String> annotations =
        template.getMetadata().getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(template.getMetadata().getAnnotations());
    String database = values.get(DATABASE_KEY, String.class).orElse(ABSENT);
    if (ABSENT.equals(database)) {
      database = annotation(live, DATABASE_ANNOTATION);
    }
    if (database != null) {
      annotations.put(DATABASE_ANNOTATION, database);
    }
    values
        .get(OTLP_HEADERS_KEY, String.class)
        .ifPresent(version -> annotations.put(OTLP_HEADERS_ANNOTATION, version));
    template.getMetadata().setAnnotations(annotations);
  }

  private static String annotation(PodTemplateSpec template, String key) {
    return template == null
            || template.getMetadata() == null
            || template.getMetadata().getAnnotations() == null
        ? null
        : template.getMetadata().getAnnotations().get(key);
  }
}
