package io.pgtrickle.operator.testbed;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Edits of resources that something else writes too (the operator's status and finalizers,
 * Patroni's annotations, the kubelet's pod status).
 *
 * <p>fabric8's {@code edit} is optimistically locked: it sends the resourceVersion it read, and the
 * API server answers 409 Conflict when another writer came in between. Tests twice failed CI on
 * that. {@link #edit} reads again and re-applies the change on a 409, for up to 60 s.
 */
public final class Edits {
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private Edits() {}

  /**
   * Applies {@code change} to the current {@code resource}, again on the latest version after a 409
   * Conflict.
   *
   * @param change a function of the resource read; it may be applied more than once, each time to a
   *     fresh read, so it must compute from its argument only
   * @return the resource as the API server stored it
   */
  public static <T extends HasMetadata> T edit(Resource<T> resource, UnaryOperator<T> change) {
    AtomicReference<T> stored = new AtomicReference<>();
    await()
        .atMost(PATIENCE)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptionsMatching(
            e -> e instanceof KubernetesClientException k && k.getCode() == 409)
        .until(
            () -> {
              stored.set(resource.edit(change));
              return true;
            });
    return stored.get();
  }
}
