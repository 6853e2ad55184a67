package io.pgtrickle.operator.postgres.credentials;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code NAME-applied-credentials}: the operator's own record of the passwords the database and
 * Patroni run with, so that it notices when a user edits {@code NAME-credentials} or {@code
 * NAME-replication}, can still log in with the old superuser password to change it, and can still
 * reach a Patroni that started with the old REST API password. Its {@code generation} annotation
 * counts the changes applied; the pod template carries it, so members restart onto new passwords.
 * Pure builder; never logged.
 */
public final class AppliedCredentials {

  public static final String SUPERUSER = "superuser";
  public static final String SUPERUSER_PASSWORD = "superuser-password";
  public static final String REPLICATION_USER = "replication-user";
  public static final String REPLICATION_PASSWORD = "replication-password";
  public static final String REWIND_USER = "rewind-user";
  public static final String REWIND_PASSWORD = "rewind-password";
  public static final String RESTAPI_USER = "restapi-user";
  public static final String RESTAPI_PASSWORD = "restapi-password";

  /** The REST API password members started before the last change still expect. */
  public static final String PREVIOUS_RESTAPI_PASSWORD = "previous-restapi-password";

  /** Annotation: how many times passwords were changed since the cluster was created. */
  public static final String GENERATION_ANNOTATION = "postgres.example.com/credentials-generation";

  private AppliedCredentials() {}

  /**
   * The record of {@code applied}, the {@code generation}-th set of passwords; {@code
   * previousRestApiPassword} may be null.
   */
  public static Secret of(
      PostgresCluster cluster,
      Credentials applied,
      long generation,
      String previousRestApiPassword) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(SUPERUSER, applied.superuser());
    data.put(SUPERUSER_PASSWORD, applied.superuserPassword());
    data.put(REPLICATION_USER, applied.replicationUser());
    data.put(REPLICATION_PASSWORD, applied.replicationPassword());
    data.put(REWIND_USER, applied.rewindUser());
    data.put(REWIND_PASSWORD, applied.rewindPassword());
    data.put(RESTAPI_USER, applied.restApiUser());
    data.put(RESTAPI_PASSWORD, applied.restApiPassword());
    if (previousRestApiPassword != null) {
      data.put(PREVIOUS_RESTAPI_PASSWORD, previousRestApiPassword);
    }
    return new SecretBuilder()
        .withNewMetadata()
        .withName(ClusterNames.appliedCredentialsSecret(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(ClusterNames.labels(cluster, "credentials"))
        .addToAnnotations(GENERATION_ANNOTATION, Long.toString(generation))
        .endMetadata()
        .withType("Opaque")
        .withData(encoded(data))
        .build();
  }

  private static Map<String, String> encoded(Map<String, String> data) {
    Map<String, String> out = new LinkedHashMap<>();
    data.forEach(
        (k, v) ->
            out.put(
                k,
                java.util.Base64.getEncoder()
                    .encodeToString(v.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    return out;
  }

  /** The generation recorded in {@code applied}; 0 when there is none yet. */
  public static long generation(Secret applied) {
    if (applied == null || applied.getMetadata().getAnnotations() == null) {
      return 0;
    }
    String value = applied.getMetadata().getAnnotations().get(GENERATION_ANNOTATION);
    try {
      return value == null ? 0 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The REST API password of members that started before the last change, or null. */
  public static String previousRestApiPassword(Secret applied) {
    if (applied == null || applied.getData() == null) {
      return null;
    }
    String encoded = applied.getData().get(PREVIOUS_RESTAPI_PASSWORD);
    return encoded == null
        ? null
        : new String(
            java.util.Base64.getDecoder().decode(encoded), java.nio.charset.StandardCharsets.UTF_8);
  }
}
