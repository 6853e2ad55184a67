package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import java.util.List;
import java.util.Map;

/**
 * Turning TLS on for a running cluster rolls the members twice, pure decision. A member started
 * without TLS has no CA to verify an HTTPS peer by: as the primary, its Patroni could not check a
 * replica serving HTTPS, and refuses to hand over to it ("no good candidates"), so a switchover to
 * a member already on the TLS template is impossible. And a replica on the TLS template
 * (replication with {@code sslmode=verify-full}) cannot stream from a primary that has SSL off. So
 * while some member still runs without TLS, the template is a transition: certificates mounted, SSL
 * on in PostgreSQL, {@code ctl.cacert} set, but Patroni's REST API on plain HTTP and replication
 * with {@code sslmode=prefer}. Once every member runs it (or full TLS), the template turns to full
 * TLS and the members roll again: the primary of the transition verifies HTTPS peers by the CA, and
 * serves SSL to replicas that verify it. Each roll ends with a switchover, never a failover.
 *
 * <p>Turning TLS off needs no transition: a member on TLS verifies nothing over plain HTTP.
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
