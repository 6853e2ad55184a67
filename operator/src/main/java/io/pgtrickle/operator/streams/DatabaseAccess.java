package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.tls.MemberJdbc;
import io.pgtrickle.operator.streams.db.DatabaseEndpoint;
import io.pgtrickle.operator.streams.spec.PipelineSettings;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Finds how the operator itself reaches a pipeline's database: the credentials Secret, and with a
 * clusterRef the PostgresCluster and its primary pod. Either an endpoint, or a problem saying what
 * is missing.
 *
 * @param endpoint where to connect, or null
 * @param problemReason why there is none (SecretNotFound, SecretInvalid, ClusterNotFound,
 *     ClusterDeleting, NoPrimary, ClusterCaNotFound: TLS on and no ca.crt to verify the primary
 *     by), or null
 * @param problemMessage the explanation, naming the object
 * @param needsUser whether only the user can fix it (a missing object) rather than time (no primary
 *     yet)
 * @param clusterGone whether the referenced PostgresCluster is gone or being deleted (its slots go
 *     with it)
 */
record DatabaseAccess(
    DatabaseEndpoint endpoint,
    String problemReason,
    String problemMessage,
    boolean needsUser,
    boolean clusterGone) {

  static DatabaseAccess resolve(KubernetesClient client, PipelineSettings s) {
    String ns = s.namespace();
    String host = s.dbHost();
    int port = s.dbPort();
    MemberJdbc.Target tls = null;
    if (s.clusterRef() != null) {
      PostgresCluster cluster =
          client.resources(PostgresCluster.class).inNamespace(ns).withName(s.clusterRef()).get();
      if (cluster == null) {
        return problem(
            "ClusterNotFound",
            "spec.postgresql.clusterRef: PostgresCluster "
                + s.clusterRef()
                + " does not exist in namespace "
                + ns,
            true,
            true);
      }
      if (cluster.getMetadata().getDeletionTimestamp() != null) {
        return problem(
            "ClusterDeleting",
            "PostgresCluster " + s.clusterRef() + " is being deleted",
            true,
            true);
      }
      String primary = cluster.getStatus() == null ? null : cluster.getStatus().getPrimaryPod();
      Pod pod = primary == null ? null : client.pods().inNamespace(ns).withName(primary).get();
      String ip = pod == null || pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      if (ip == null) {
        return problem(
            "NoPrimary",
            "waiting for PostgresCluster " + s.clusterRef() + " to have a primary",
            false,
            false);
      }
      // The operator talks to the primary pod directly (as to Patroni); the pipeline's pods use
      // the NAME-primary Service, which follows failovers. With TLS, verify-full as a member.
      host = ip;
      port = 5432;
      try {
        tls =
            MemberJdbc.target(
                cluster,
                primary,
                ip,
                io.pgtrickle.operator.postgres.tls.ClusterTls.mountedSecret(pod),
                name -> client.secrets().inNamespace(ns).withName(name).get());
      } catch (MemberJdbc.NoCaException e) {
        return problem("ClusterCaNotFound", e.getMessage(), false, false);
      }
    }
    Secret secret = client.secrets().inNamespace(ns).withName(s.secretName()).get();
    if (secret == null) {
      return problem(
          "SecretNotFound",
          "Secret "
              + s.secretName()
              + " (spec.postgresql."
              + (s.clusterRef() != null ? "clusterRef" : "secretRef")
              + ") does not exist in namespace "
              + ns,
          true,
          false);
    }
    String user = value(secret, PipelineSettings.USERNAME_KEY);
    String password = value(secret, PipelineSettings.PASSWORD_KEY);
    if (user == null) {
      return problem(
          "SecretInvalid",
          "Secret "
              + s.secretName()
              + " has no key "
              + PipelineSettings.USERNAME_KEY
              + " (it needs username and password)",
          true,
          false);
    }
    return new DatabaseAccess(
        new DatabaseEndpoint(host, port, s.database(), user, password, tls),
        null,
        null,
        false,
        false);
  }

  private static DatabaseAccess problem(
      String reason, String message, boolean needsUser, boolean clusterGone) {
    return new DatabaseAccess(null, reason, message, needsUser, clusterGone);
  }

  private static String value(Secret secret, String key) {
    if (secret.getData() != null && secret.getData().get(key) != null) {
      return new String(
          Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }
    if (secret.getStringData() != null) {
      return secret.getStringData().get(key);
    }
    return null;
  }
}
