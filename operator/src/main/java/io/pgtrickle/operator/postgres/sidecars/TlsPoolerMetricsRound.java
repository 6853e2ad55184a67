package io.pgtrickle.operator.postgres.sidecars;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.ClusterValidation;
import io.pgtrickle.operator.postgres.credentials.AppliedCredentials;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import io.pgtrickle.operator.postgres.spec.PgBouncerConfig;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import io.pgtrickle.operator.postgres.tls.MemberJdbc;
import io.pgtrickle.operator.postgres.tls.TlsCertificates;
import io.pgtrickle.operator.postgres.tls.TlsReload;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The parts of a reconcile round that {@code spec.tls}, {@code spec.pgbouncer} and {@code
 * spec.metrics} add (issue #17), called by the round at two points: {@link #beforeChildren} (the
 * certificates must exist before pods mount them) and {@link #afterChildren} (roles for the
 * sidecars, certificate reloads, the PodMonitor).
 */
public final class TlsPoolerMetricsRound {

  private final ServiceRoles roles;
  private final PatroniClient patroni;
  private final PoolerReload pooler = new PoolerReload();

  public TlsPoolerMetricsRound(ServiceRoles roles, PatroniClient patroni) {
    this.roles = roles;
    this.patroni = patroni;
  }

  /** Certificates issued, renewed or checked; a problem for the status when they cannot be. */
  public Optional<ClusterValidation.Problem> beforeChildren(
      KubernetesClient client,
      PostgresCluster cluster,
      Function<String, Secret> secrets,
      Instant now) {
    TlsReferences.record(cluster);
    return TlsCertificates.ensure(client, cluster, secrets, now);
  }

  /**
   * Returns true when something is still under way and the round should look again soon: the
   * sidecars' roles not made yet, or a member (PostgreSQL, or its PgBouncer: {@link PoolerReload})
   * still serving an old certificate.
   */
  public boolean afterChildren(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Member> members,
      Function<String, Secret> secrets,
      PatroniClient.Login login) {
    boolean again = false;
    Optional<Member> primary =
        members.stream().filter(m -> m.primary() && m.ready() && !m.terminating()).findFirst();
    Secret applied = secrets.apply(ClusterNames.appliedCredentialsSecret(cluster));
    Secret credentials = secrets.apply(ClusterNames.credentialsSecret(cluster));
    String superuser =
        text(applied, AppliedCredentials.SUPERUSER, credentials, ClusterSecrets.USERNAME);
    String password =
        text(applied, AppliedCredentials.SUPERUSER_PASSWORD, credentials, ClusterSecrets.PASSWORD);
    if (!roles.ensure(
        cluster,
        () ->
            primary
                .filter(m -> m.podIp() != null)
                .map(m -> MemberJdbc.target(cluster, m, secrets))
                .orElse(null),
        superuser == null ? ClusterSecrets.SUPERUSER : superuser,
        password,
        secrets.apply(ClusterNames.poolerSecret(cluster)),
        secrets.apply(ClusterNames.monitoringSecret(cluster)))) {
      again = true;
    }
    if (ClusterTls.enabled(cluster)) {
      Secret serving = secrets.apply(ClusterTls.servingSecret(cluster));
      String wanted = ClusterTls.text(serving, ClusterTls.CERT);
      if (TlsReload.reloadStale(members, wanted, patroni, login)) {
        again = true;
      }
    }
    if (PgBouncerConfig.enabled(cluster) && reloadPoolers(cluster, members, secrets)) {
      again = true;
    }
    PodMonitors.reconcile(client, cluster);
    return again;
  }

  /**
   * {@link PoolerReload} for the cluster's settings and, with TLS, its certificate; false (nothing
   * to do yet) while TLS is on but the serving Secret has no certificate or CA.
   */
  private boolean reloadPoolers(
      PostgresCluster cluster, List<Member> members, Function<String, Secret> secrets) {
    PoolerReload.Tls tls = null;
    if (ClusterTls.enabled(cluster)) {
      Secret serving = secrets.apply(ClusterTls.servingSecret(cluster));
      tls =
          new PoolerReload.Tls(
              ClusterTls.text(serving, ClusterTls.CERT), ClusterTls.text(serving, ClusterTls.CA));
      if (tls.certPem() == null || tls.caPem() == null) {
        return false;
      }
    }
    return pooler.reloadStale(
        members,
        PgBouncerConfig.specSettings(cluster),
        tls,
        ClusterTls.text(secrets.apply(ClusterNames.poolerSecret(cluster)), ClusterSecrets.PASSWORD),
        Instant.now());
  }

  private static String text(Secret first, String firstKey, Secret second, String secondKey) {
    String value = ClusterTls.text(first, firstKey);
    return value != null ? value : ClusterTls.text(second, secondKey);
  }
}
