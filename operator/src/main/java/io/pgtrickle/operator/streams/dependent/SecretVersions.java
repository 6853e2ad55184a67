package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which versions of their Secrets the CDC consumer and worker pods read. A variable from a Secret
 * is read when the container starts, so the round puts a digest of each Secret's {@code data} into
 * the workflow context and the dependents stamp it on the pod templates: a change of the data rolls
 * the pods once to read it. A write that leaves the data as it was (a label, an annotation, a
 * controller re-applying the same values, the Secret deleted and created again with the same
 * values) rolls nothing: until 2026-12-07 the stamp was the Secret's {@code resourceVersion}, and
 * any such write restarted change capture for nothing.
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

  /**
   * The version to stamp for {@code secret} as read from the namespace (null when missing): {@code
   * sha256:} and the hex SHA-256 of its data, each key (in order) and its base64 value followed by
   * a NUL byte; the values stay in the Secret.
   */
  public static String of(Secret secret) {
    if (secret == null) {
      return ABSENT;
    }
    MessageDigest digest = sha256();
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    for (Map.Entry<String, String> e : new TreeMap<>(data).entrySet()) {
      digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update(String.valueOf(e.getValue()).getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
    }
    return "sha256:" + HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 on this JDK: " + e, e);
    }
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
