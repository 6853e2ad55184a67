package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.patroni.ConfigPatch;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.spec.Hashes;
import io.pgtrickle.operator.postgres.spec.PatroniConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Patroni's dynamic configuration what the spec makes it ({@link PatroniConfig#dynamic}).
 *
 * <p>Patroni reads {@code bootstrap.dcs} only when the cluster is initialised; later changes of
 * timings, synchronous mode, parameters and slots go through its REST API ({@code PATCH /config},
 * {@link ConfigPatch}). What Patroni runs with is read from its DCS ({@link PatroniDcs}), not
 * assumed from the hash last recorded in the status: a change made behind the operator's back
 * ({@code patronictl edit-config}), or a push whose status was never written, is found and the
 * spec's values applied again, with a Warning Event {@value #RESTORED} naming what differed. Keys
 * the operator does not set (such as {@code pause}) stay as they are.
 */
final class DynamicConfigSync {

  private static final Logger LOG = LoggerFactory.getLogger(DynamicConfigSync.class);

  /** Reason of the Event of a configuration put back. */
  static final String RESTORED = "DynamicConfigurationRestored";

  /**
   * How long after a push Patroni's ConfigMap, as the operator's cache shows it, may still have the
   * configuration from before: a difference then is not reported, only pushed again (a PATCH of
   * what Patroni has changes nothing).
   */
  static final Duration SETTLE = Duration.ofSeconds(30);

  private DynamicConfigSync() {}

  /**
   * Pushes the spec's dynamic configuration when Patroni's differs.
   *
   * @return the hash of the configuration in force, or null when it is not (yet): no primary to
   *     push through, or the push failed
   */
  static String apply(
      Context<PostgresCluster> context,
      PostgresCluster cluster,
      List<Member> members,
      ClusterActions actions,
      PatroniClient.Login login,
      Instant now) {
    Map<String, Object> dynamic =
        PatroniConfig.dynamic(cluster, ClusterPipelines.slots(context, cluster));
    String wanted = Hashes.of(dynamic);
    String recorded =
        cluster.getStatus() == null ? null : cluster.getStatus().getPatroniConfigHash();
    Optional<Map<String, Object>> running = PatroniDcs.config(context, cluster);
    List<String> differences = List.of();
    if (running.isEmpty()) {
      // Not written yet (a cluster bootstrapping) or not in the cache: the status is all we know.
      if (wanted.equals(recorded)) {
        return recorded;
      }
    } else {
      differences = ConfigPatch.differences(running.get(), dynamic);
      if (differences.isEmpty()) {
        return wanted;
      }
    }
    Instant lastPush = actions.lastConfigPush(cluster);
    boolean drifted =
        wanted.equals(recorded)
            && !differences.isEmpty()
            && (lastPush == null || lastPush.plus(SETTLE).isBefore(now));
    if (!actions.applyDynamicConfig(cluster, members, dynamic, login)) {
      return null;
    }
    if (drifted) {
      report(context.getClient(), cluster, differences);
    }
    return wanted;
  }

  private static void report(
      KubernetesClient client, PostgresCluster cluster, List<String> differences) {
    String message =
        "Patroni's dynamic configuration differed from the spec ("
            + String.join(", ", differences)
            + "): the spec's configuration is applied again. Change PostgreSQL parameters in"
            + " spec.postgresqlParams, not with patronictl edit-config.";
    LOG.warn(
        "{}/{}: {}",
        cluster.getMetadata().getNamespace(),
        cluster.getMetadata().getName(),
        message);
    EventRecorder.warning(client, cluster, RESTORED, message);
  }
}
