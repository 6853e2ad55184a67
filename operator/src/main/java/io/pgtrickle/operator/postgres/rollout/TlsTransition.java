package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.TlsSpec;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import java.util.List;
import java.util.function.Function;

/**
 * Turning TLS on or off for a running cluster rolls the members twice, pure decision. A replica
 * restarted onto the new setting could not stream from the primary still on the old one: turning
 * TLS on, it replicates with {@code sslmode=verify-full} from a primary with SSL off; turning it
 * off with the operator's CA, it presents no client certificate to a primary that requires one. The
 * rollout's switchover then promoted a replica that had missed every write since its restart
 * (Patroni lets one within {@code maximum_lag_on_failover} take over): TlsToggleIT lost 75 of 213
 * acknowledged writes turning TLS on, 28 of 382 turning it off; beyond that lag, or in synchronous
 * mode, the switchover was refused for good. So while some member still runs the old setting, the
 * template is a transition: TLS served as the members serve it (turning TLS off: the same Secrets
 * they mount, while those exist), but replication and pg_rewind with {@code sslmode=prefer} and no
 * client certificate required in pg_hba, so every member streams from every other. Once every
 * member runs it, the template turns to the new setting and the members roll again. Each roll ends
 * with a switchover.
 *
 * <p>Patroni's REST API needs none: Patroni does not verify the certificates of the other members'
 * REST APIs, so an old primary hands over to a member serving HTTPS, and the operator reaches each
 * member as it serves ({@code tls.ServedTls}).
 */
public final class TlsTransition {

  /** Where the round leaves its decision for the dependents (StatefulSet, Patroni ConfigMap). */
  public static final String CONTEXT_KEY = "tls-transition";

  private TlsTransition() {}

  /**
   * What the members' template is built from: {@code buildFrom} (the cluster, or during a
   * transition off TLS a copy with TLS as the members still run it) and whether it is a transition.
   */
  public record Decision(boolean transition, PostgresCluster buildFrom) {}

  /**
   * The decision for {@code cluster} with the StatefulSet {@code existing} (null before there is
   * one: a new cluster needs no transition) and its {@code pods}; {@code secrets} looks Secrets up
   * by name (null when missing): a transition off TLS needs the Secrets the members mount.
   */
  public static Decision decide(
      PostgresCluster cluster,
      StatefulSet existing,
      List<Pod> pods,
      Function<String, Secret> secrets) {
    if (existing == null) {
      return new Decision(false, cluster);
    }
    boolean transitionTemplate = transition(existing.getSpec().getTemplate().getMetadata());
    boolean beingCreated = transitionTemplate && pods.size() < existing.getSpec().getReplicas();
    if (ClusterTls.enabled(cluster)) {
      boolean plainMember = pods.stream().anyMatch(p -> ClusterTls.mountedSecret(p) == null);
      return new Decision(plainMember || beingCreated, cluster);
    }
    boolean fullTlsMember =
        pods.stream()
            .anyMatch(p -> ClusterTls.mountedSecret(p) != null && !transition(p.getMetadata()));
    if (!fullTlsMember && !beingCreated) {
      return new Decision(false, cluster);
    }
    // TLS off while members still serve it: the transition keeps their certificates.
    java.util.Optional<Pod> tls =
        pods.stream().filter(p -> ClusterTls.mountedSecret(p) != null).findFirst();
    if (tls.isEmpty()) {
      return new Decision(false, cluster);
    }
    String serving = ClusterTls.mountedSecret(tls.get());
    boolean clientCertificates =
        tls.get().getSpec().getVolumes().stream()
            .anyMatch(v -> ClusterTls.CLIENT_VOLUME.equals(v.getName()));
    if (secrets.apply(serving) == null
        || (clientCertificates
            && secrets.apply(ClusterNames.replicationTlsSecret(cluster)) == null)) {
      // Without them the transition's pods could not start: one roll, as before.
      return new Decision(false, cluster);
    }
    PostgresCluster copy = COPIES.clone(cluster);
    TlsSpec spec = new TlsSpec();
    spec.setEnabled(true);
    // The operator's CA (with client certificates) serves NAME-tls; otherwise the Secret is taken
    // as a user's, so no client certificate is mounted that was never issued.
    spec.setCertSecret(clientCertificates ? null : serving);
    copy.getSpec().setTls(spec);
    return new Decision(true, copy);
  }

  private static final io.fabric8.kubernetes.client.utils.KubernetesSerialization COPIES =
      new io.fabric8.kubernetes.client.utils.KubernetesSerialization();

  private static boolean transition(io.fabric8.kubernetes.api.model.ObjectMeta metadata) {
    return metadata != null
        && metadata.getAnnotations() != null
        && metadata.getAnnotations().containsKey(ClusterTls.TRANSITION_ANNOTATION);
  }
}
