package io.pgtrickle.operator.postgres.tls;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.rollout.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What a member serves, pure, from its pod (the template it started from), not from the spec: SSL
 * in PostgreSQL exactly when the pod mounts the serving Secret ({@link ClusterTls#VOLUME}), HTTPS
 * on Patroni's REST API exactly when its readiness probe uses HTTPS (the kubelet reaches the REST
 * API with it). Patroni and PostgreSQL read that from the configuration they started with; the
 * ConfigMap changes at once when {@code spec.tls} does, but Patroni reads its file again only on a
 * reload ({@code SIGHUP} or {@code POST /reload}), which the operator asks only of members serving
 * TLS with TLS on, to pick up a renewed certificate ({@link TlsReload}). So while TLS turned on or
 * off rolls the members one by one, members still on an older template serve the older scheme, and
 * the operator reaches each as it serves: before, it took the scheme from the new spec, its
 * switchover request to the old primary failed, and the rollout restarted the primary instead (a
 * failover).
 *
 * <p>Trust: the CA of the Secret the member mounts ({@code ca.crt}), else (TLS on) of the spec's
 * serving Secret, else of the CA published for clients ({@code NAME-ca}). A member that serves TLS
 * with none of these is refused while the spec has TLS on; with TLS off (the spec asks for plain
 * connections) it is reached over TLS without verification ({@link ClusterTrust#unverified}), which
 * is no weaker than the plain connection asked for.
 */
public final class ServedTls {

  private ServedTls() {}

  /**
   * The CA (PEM) to verify a member by that mounts {@code mountedSecret}, or null when none is
   * known; see the class comment for the order.
   */
  public static String ca(
      PostgresCluster cluster, String mountedSecret, Function<String, Secret> secrets) {
    List<String> candidates = new ArrayList<>();
    if (mountedSecret != null) {
      candidates.add(mountedSecret);
    }
    if (ClusterTls.enabled(cluster)) {
      candidates.add(ClusterTls.servingSecret(cluster));
    }
    candidates.add(ClusterNames.caSecret(cluster));
    for (String name : candidates) {
      String ca = ClusterTls.text(secrets.apply(name), ClusterTls.CA);
      if (ca != null && !ca.isBlank()) {
        return ca;
      }
    }
    return null;
  }

  /** How to reach the REST API of {@code member}, see the class comment. */
  public static PatroniClient.Scheme patroni(
      PostgresCluster cluster, Member member, Function<String, Secret> secrets) {
    if (!member.patroniHttps()) {
      return PatroniClient.Scheme.HTTP;
    }
    String ca = ca(cluster, member.tlsSecret(), secrets);
    if (ca != null) {
      return PatroniClient.Scheme.https(ClusterTrust.context(ca));
    }
    if (!ClusterTls.enabled(cluster)) {
      return PatroniClient.Scheme.https(ClusterTrust.unverified());
    }
    return PatroniClient.Scheme.refused(
        member.name()
            + " serves HTTPS with the certificate of Secret \""
            + member.tlsSecret()
            + "\", and no ca.crt is there to verify it by");
  }

  /** {@code login} reaching each of {@code members} as it serves; null stays null. */
  public static PatroniClient.Login patroniLogin(
      PatroniClient.Login login,
      PostgresCluster cluster,
      List<Member> members,
      Function<String, Secret> secrets) {
    if (login == null) {
      return null;
    }
    return login.withSchemes(
        pod ->
            members.stream()
                .filter(m -> m.name().equals(pod))
                .findFirst()
                .map(m -> patroni(cluster, m, secrets))
                .orElseGet(() -> unknown(cluster, pod)));
  }

  /**
   * A pod that is not among the members observed: plain HTTP only when the spec asks for it, so the
   * REST API password never goes out unencrypted while TLS is on.
   */
  static PatroniClient.Scheme unknown(PostgresCluster cluster, String pod) {
    return ClusterTls.enabled(cluster)
        ? PatroniClient.Scheme.refused(pod + " is not among the members the operator observed")
        : PatroniClient.Scheme.HTTP;
  }
}
