package io.pgtrickle.operator.postgres.tls;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.CertManagerSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.TlsSpec;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * TLS of a cluster, pure: whether it is on, which Secret the pods serve, the names a server
 * certificate must carry, where the files are in the pods, and when a certificate is due for
 * renewal.
 */
public final class ClusterTls {

  /** Where the serving Secret is mounted in the PostgreSQL container (and the sidecars). */
  public static final String MOUNT = "/etc/postgresql/tls";

  /**
   * The pod volume of the serving Secret. A pod has it exactly when it was created from a template
   * with TLS on: what the member serves (SSL in PostgreSQL, HTTPS on Patroni's REST API) follows
   * from it until the pod restarts, whatever the spec says now.
   */
  public static final String VOLUME = "tls";

  /**
   * The pod volume of the replication user's client certificate, with {@link #clientCertificates}.
   */
  public static final String CLIENT_VOLUME = "replication-tls";

  /**
   * Where the replication user's client certificate ({@code NAME-replication-tls}) is mounted in
   * the PostgreSQL container, with {@link #clientCertificates}.
   */
  public static final String CLIENT_MOUNT = "/etc/postgresql/replication-tls";

  public static final String CERT = "tls.crt";
  public static final String KEY = "tls.key";
  public static final String CA = "ca.crt";

  /** How long the operator's CA is valid: it is not renewed (clients pin it). */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);

  /** How long a server certificate the operator issues is valid. */
  public static final Duration SERVER_VALIDITY = Duration.ofDays(365);

  /** Kubernetes' default cluster domain, used for the fully qualified names. */
  public static final String CLUSTER_DOMAIN = "cluster.local";

  private ClusterTls() {}

  public static boolean enabled(PostgresCluster cluster) {
    TlsSpec tls = cluster.getSpec().getTls();
    return tls != null && Boolean.TRUE.equals(tls.getEnabled());
  }

  /**
   * Whether members authenticate the replication user by client certificate (mTLS) as well as by
   * password: with TLS on and the operator as the cluster's CA (no {@code certSecret}, no {@code
   * certManager}), because only then does the operator hold a CA key to issue client certificates
   * with. With a user's or cert-manager's certificate, replication is password-authenticated over
   * {@code verify-full} TLS.
   */
  public static boolean clientCertificates(PostgresCluster cluster) {
    return enabled(cluster) && userSecret(cluster).isEmpty();
  }

  /**
   * The Secret somebody else writes, when one is served: the user's ({@code spec.tls.certSecret})
   * or cert-manager's ({@code NAME-tls} with {@code spec.tls.certManager}). The operator checks it
   * and follows its rotation but never writes it.
   */
  public static Optional<String> userSecret(PostgresCluster cluster) {
    TlsSpec tls = cluster.getSpec().getTls();
    if (tls == null) {
      return Optional.empty();
    }
    if (tls.getCertSecret() != null && !tls.getCertSecret().isBlank()) {
      return Optional.of(tls.getCertSecret());
    }
    return tls.getCertManager() != null
        ? Optional.of(ClusterNames.tlsSecret(cluster))
        : Optional.empty();
  }

  /** {@code spec.tls.certManager}, when cert-manager issues the server certificate. */
  public static Optional<CertManagerSpec> certManager(PostgresCluster cluster) {
    TlsSpec tls = cluster.getSpec().getTls();
    return tls == null ? Optional.empty() : Optional.ofNullable(tls.getCertManager());
  }

  /** The field a problem with {@link #userSecret} is reported on. */
  static String userSecretField(PostgresCluster cluster) {
    return certManager(cluster).isPresent() ? "spec.tls.certManager" : "spec.tls.certSecret";
  }

  /** The Secret the pods serve: the user's, or the one the operator issues ({@code NAME-tls}). */
  public static String servingSecret(PostgresCluster cluster) {
    return userSecret(cluster).orElse(ClusterNames.tlsSecret(cluster));
  }

  /**
   * The names a member's certificate carries: every Service of the cluster and every pod under the
   * headless Service, short, with the namespace, with {@code .svc} and fully qualified.
   */
  public static List<String> dnsNames(PostgresCluster cluster) {
    String ns = cluster.getMetadata().getNamespace();
    List<String> names = new ArrayList<>();
    for (String service :
        List.of(
            ClusterNames.primaryService(cluster),
            ClusterNames.replicaService(cluster),
            ClusterNames.poolerService(cluster),
            ClusterNames.headlessService(cluster),
            "*." + ClusterNames.headlessService(cluster))) {
      names.add(service + "." + ns + ".svc");
      names.add(service + "." + ns + ".svc." + CLUSTER_DOMAIN);
      names.add(service + "." + ns);
      names.add(service);
    }
    names.add("localhost");
    return names;
  }

  /**
   * The host name of a member under the headless Service, {@code POD.NAME-pods.NAMESPACE.svc}: what
   * members and sidecars connect to, so that {@code sslmode=verify-full} can check it.
   */
  public static String memberHost(PostgresCluster cluster, String podNameExpression) {
    return podNameExpression
        + "."
        + ClusterNames.headlessService(cluster)
        + "."
        + cluster.getMetadata().getNamespace()
        + ".svc";
  }

  /**
   * Whether an issued server certificate must be replaced: less than a third of its life left (a
   * year's certificate is renewed four months before it expires, leaving time for every member to
   * reload), or it lacks one of the names the cluster needs.
   */
  public static boolean renewalDue(X509Certificate cert, List<String> names, Instant now) {
    Instant notBefore = cert.getNotBefore().toInstant();
    Instant notAfter = cert.getNotAfter().toInstant();
    Duration life = Duration.between(notBefore, notAfter);
    if (Duration.between(now, notAfter).compareTo(life.dividedBy(3)) < 0) {
      return true;
    }
    return !CertificateNames.of(cert).containsAll(names);
  }

  /**
   * The Secret {@code pod} mounts as its serving certificate (volume {@link #VOLUME}), or null when
   * the pod was created without TLS.
   */
  public static String mountedSecret(io.fabric8.kubernetes.api.model.Pod pod) {
    if (pod.getSpec() == null || pod.getSpec().getVolumes() == null) {
      return null;
    }
    return pod.getSpec().getVolumes().stream()
        .filter(v -> VOLUME.equals(v.getName()) && v.getSecret() != null)
        .map(v -> v.getSecret().getSecretName())
        .findFirst()
        .orElse(null);
  }

  /**
   * Marks a pod template of a TLS transition (see {@code rollout.TlsTransition}): TLS served, but
   * replication with {@code sslmode=prefer}.
   */
  public static final String TRANSITION_ANNOTATION = "postgres.example.com/tls-transition";

  /** A key of a Secret as text; null when absent. */
  public static String text(Secret secret, String key) {
    if (secret == null) {
      return null;
    }
    if (secret.getData() != null && secret.getData().get(key) != null) {
      return new String(
          Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }
    if (secret.getStringData() != null) {
      return secret.getStringData().get(key);
    }
    return null;
  }

  /**
   * What is wrong with a user's serving Secret, or empty: it must hold {@code tls.crt}, {@code
   * tls.key} and {@code ca.crt} (the members verify each other against it), all PEM.
   */
  public static Optional<String> problemWith(Secret secret, String name) {
    return problemWith(secret, name, "spec.tls.certSecret");
  }

  /** As {@link #problemWith(Secret, String)}, reported on {@code field}. */
  public static Optional<String> problemWith(Secret secret, String name, String field) {
    List<String> missing = new ArrayList<>();
    for (String key : List.of(CERT, KEY, CA)) {
      String value = text(secret, key);
      if (value == null || value.isBlank()) {
        missing.add(key);
      }
    }
    if (!missing.isEmpty()) {
      return Optional.of(
          field
              + ": Secret \""
              + name
              + "\" has no "
              + String.join(", ", missing)
              + "; it needs tls.crt, tls.key and ca.crt (type kubernetes.io/tls, as cert-manager"
              + " writes it): the members verify each other's certificate against ca.crt");
    }
    try {
      CertificateAuthority.certificate(text(secret, CERT));
      CertificateAuthority.certificate(text(secret, CA));
    } catch (IllegalArgumentException e) {
      return Optional.of(
          field + ": Secret \"" + name + "\" does not hold PEM certificates: " + e.getMessage());
    }
    return Optional.empty();
  }
}
