package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import java.net.HttpURLConnection;
import java.util.Collection;
import java.util.Objects;

/**
 * Whether the StreamTableCluster a database records as its holder ({@link DatabaseHolder}) still
 * exists. The operator's cache is asked first; a holder not in it is read from the API server,
 * because the cache holds only the namespaces this operator watches ({@code WATCH_NAMESPACES}): a
 * pipeline of another operator, or in a namespace this one does not watch, looked gone, so a second
 * pipeline took the database over and its deletion dropped the change log the first one read.
 *
 * <p>A holder the operator may not read (403: its RBAC stops at the watched namespaces) cannot be
 * told from a gone one, so it counts as live: a pipeline refused until the user releases the
 * database loses nothing, one that takes a live pipeline's database over loses change events.
 *
 * @param live the holder, when it exists with the recorded uid
 * @param forbidden when the API server refused to say, its message; else null
 */
record LiveHolder(StreamTableCluster live, String forbidden) {

  private static final LiveHolder GONE = new LiveHolder(null, null);

  /** Whether the holder exists, or may exist. */
  boolean holds() {
    return live != null || forbidden != null;
  }

  /**
   * Looks the recorded holder up.
   *
   * @param client the operator's client
   * @param cached the StreamTableClusters in the operator's cache
   * @param recorded the holder the database records
   * @return the lookup; gone when neither the cache nor the API server has it with that uid
   * @throws KubernetesClientException when the API server fails other than by refusing (403): the
   *     reconcile is retried
   */
  static LiveHolder find(
      KubernetesClient client,
      Collection<StreamTableCluster> cached,
      DatabaseHolder.Recorded recorded) {
    var inCache =
        cached.stream().filter(o -> recorded.uid().equals(o.getMetadata().getUid())).findFirst();
    if (inCache.isPresent()) {
      return new LiveHolder(inCache.get(), null);
    }
    if (recorded.namespace() == null || recorded.name() == null) {
      return GONE;
    }
    try {
      StreamTableCluster found =
          client
              .resources(StreamTableCluster.class)
              .inNamespace(recorded.namespace())
              .withName(recorded.name())
              .get();
      return found != null && Objects.equals(recorded.uid(), found.getMetadata().getUid())
          ? new LiveHolder(found, null)
          : GONE;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
        return new LiveHolder(
            null, e.getStatus() == null ? "forbidden" : e.getStatus().getMessage());
      }
      throw e;
    }
  }

  /**
   * Why {@code stc} may not run on the database, for its status and Warning: the live holder's
   * {@link DatabaseClaims#message}, or for one the operator may not read, what to do if it is gone.
   */
  String refusal(StreamTableCluster stc, DatabaseHolder.Recorded recorded) {
    if (live != null) {
      return DatabaseClaims.message(live);
    }
    return "database "
        + stc.getSpec().getPostgresql().getDatabase()
        + " records StreamTableCluster "
        + recorded.namespace()
        + "/"
        + recorded.name()
        + " (uid "
        + recorded.uid()
        + ") as the one that maintains it, and this operator may not read that namespace ("
        + forbidden
        + "), so it cannot tell whether that one still runs: this one runs nothing meanwhile. If it"
        + " is gone, release the database with COMMENT ON SCHEMA "
        + io.pgtrickle.operator.streams.spec.ChangeLogTarget.POSTGRES_SCHEMA
        + " IS NULL";
  }
}
