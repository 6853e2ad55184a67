package io.pgtrickle.operator.postgres.tls;

import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a user's server certificate ({@code spec.tls.certSecret}) names every member. The
 * operator, the members and the sidecars connect to a member with {@code sslmode=verify-full} as
 * {@code POD.NAME-pods.NAMESPACE.svc} ({@link ClusterTls#memberHost}, checked by {@link
 * MemberNameVerifier}); a certificate without those names lets the pods start but fails every such
 * connection (operator/README: the certificate "must name the member"). DNS names match as RFC 6125
 * section 6.4 says: case-insensitively, and a wildcard stands for exactly one leftmost label.
 */
final class ServerCertificateNames {

  private ServerCertificateNames() {}

  /** The names a certificate must carry: each member's {@code POD.NAME-pods.NAMESPACE.svc}. */
  static List<String> required(PostgresCluster cluster) {
    Integer replicas = cluster.getSpec() == null ? null : cluster.getSpec().getReplicas();
    int members = replicas == null ? 1 : replicas;
    List<String> names = new ArrayList<>();
    for (int ordinal = 0; ordinal < members; ordinal++) {
      names.add(ClusterTls.memberHost(cluster, ClusterNames.pod(cluster, ordinal)));
    }
    return names;
  }

  /** The names of {@code required} that none of {@code certificateNames} matches, in order. */
  static List<String> missing(Set<String> certificateNames, List<String> required) {
    return required.stream().filter(name -> !matchesAny(name, certificateNames)).toList();
  }

  /** The status message when {@code cert} lacks some of {@code required}, else empty. */
  static Optional<String> problem(
      X509Certificate cert, List<String> required, String field, String secretName) {
    Set<String> found = CertificateNames.of(cert);
    List<String> missing = missing(found, required);
    if (missing.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        field
            + ": the certificate in Secret \""
            + secretName
            + "\" does not name "
            + String.join(", ", missing)
            + " (its DNS names: "
            + (found.isEmpty() ? "none" : String.join(", ", found))
            + "); members are verified by name (sslmode=verify-full), so it must name each"
            + " member, e.g. with *."
            + wildcardBase(required.get(0)));
  }

  static boolean matches(String host, String pattern) {
    String h = host.toLowerCase(Locale.ROOT);
    String p = pattern.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    if (!p.startsWith("*.")) {
      return h.equals(p);
    }
    int dot = h.indexOf('.');
    return dot > 0 && h.substring(dot).equals(p.substring(1));
  }

  private static boolean matchesAny(String host, Set<String> patterns) {
    return patterns.stream().anyMatch(pattern -> matches(host, pattern));
  }

  private static String wildcardBase(String memberHost) {
    return memberHost.substring(memberHost.indexOf('.') + 1);
  }
}
