package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import java.util.List;
import java.util.Map;

/**
 * Turning TLS on for a running cluster rolls the members twice, pure decision. A replica restarted
 * onto full TLS replicates with {@code sslmode=verify-full}, and cannot stream from a primary that
 * still has SSL off; the rollout's switchover then promotes a replica that missed every write since
 * its restart (Patroni lets one within {@code maximum_lag_on_failover} take over), so acknowledged
 * writes were lost (TlsToggleIT saw 75 of 213 lost under a write load), or, beyond that lag or in
 * synchronous mode, the switchover was refused for good. So while some member still runs without
 * TLS, the template is a transition: TLS as configured, but replication and pg_rewind with {@code
 * sslmode=prefer} (streaming from the old primary in plain text, from any other over TLS). Once
 * every member runs it, the template turns to full TLS and the members roll again; the full-TLS
 * replicas stream from the transition's primary, which serves SSL with the certificate they verify.
 * Each roll ends with a switchover.
 *
 * <p>Patroni's REST API needs none: Patroni does not verify the certificates of the other members'
 * REST APIs, so an old primary hands over to a member serving HTTPS. Turning TLS off has no
 * transition yet, see operator/README.md.
 */
public final class TlsTransition {

  /** Where the round leaves its decision for the dependents (StatefulSet, Patroni ConfigMap). */
  public static final String CONTEXT_KEY = "tls-transition";

  private TlsTransition() {}

  /**
   * Whether the template should be the transition: TLS on, and some pod of the cluster (going or
   * not) runs without the certificates, or the current template is the transition and not every
   * member of {@code existing} exists yet on it (one restarted by the rollout is being created).
   *
   * @param existing the StatefulSet now, or null before there is one (a new cluster starts with
   *     full TLS)
   */
  public static boolean needed(PostgresCluster cluster, StatefulSet existing, List<Pod> pods) {
    if (!ClusterTls.enabled(cluster) || existing == null) {
      return false;
    }
    if (pods.stream().anyMatch(p -> ClusterTls.mountedSecret(p) == null)) {
      return true;
    }
    Map<String, String> annotations =
        existing.getSpec().getTemplate().getMetadata().getAnnotations();
    boolean transitionTemplate =
        annotations != null && annotations.containsKey(ClusterTls.TRANSITION_ANNOTATION);
    return transitionTemplate && pods.size() < existing.getSpec().getReplicas();
  }
}
