package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's liveness probe of the database pods {@link PatroniPods} plays (kwok runs none): an
 * HTTP(S) GET of the PostgreSQL container's liveness probe (Patroni's {@code /liveness}) every
 * {@code periodSeconds}, from its first success on (standing in for the startup probe, which asks
 * the same); {@code failureThreshold} failures in a row restart the container, as the kubelet does.
 * A probe that is not an HTTP GET is not played.
 */
final class PatroniLiveness {

  private static final Logger LOG = LoggerFactory.getLogger(PatroniLiveness.class);

  /** Per played pod ({@code NAME/UID}): when to probe next, failures in a row, started. */
  private record State(Instant next, int failures, boolean started) {}

  private final Map<String, State> states = new ConcurrentHashMap<>();
  private final Consumer<String> restart;

  /**
   * @param restart restarts a pod's container, by pod name (called on the prober's thread: it
   *     should hand the work off)
   */
  PatroniLiveness(Consumer<String> restart) {
    this.restart = restart;
  }

  /** Forgets pods no longer played. */
  void retain(Collection<String> running) {
    states.keySet().retainAll(running);
  }

  /**
   * Probes one pod when its period has passed.
   *
   * @param key the played pod's key, {@code NAME/UID}
   * @param pod the pod as the API server has it now
   * @param get GETs a path of Patroni's REST API on the pod: scheme, path, timeout to success
   */
  void probe(String key, Pod pod, Get get) {
    var container = pod.getSpec().getContainers().get(0);
    Instant now = Instant.now();
    State state = states.getOrDefault(key, new State(now, 0, false));
    Probe probe =
        state.started() || container.getStartupProbe() == null
            ? container.getLivenessProbe()
            : container.getStartupProbe();
    if (probe == null || probe.getHttpGet() == null || now.isBefore(state.next())) {
      return;
    }
    Instant next = now.plusSeconds(orDefault(probe.getPeriodSeconds(), 10));
    boolean ok =
        get.ok(
            probe.getHttpGet().getScheme() == null
                ? "http"
                : probe.getHttpGet().getScheme().toLowerCase(java.util.Locale.ROOT),
            probe.getHttpGet().getPath(),
            Duration.ofSeconds(orDefault(probe.getTimeoutSeconds(), 1)));
    if (ok) {
      states.put(key, new State(next, 0, true));
      return;
    }
    int failures = state.failures() + 1;
    if (failures < orDefault(probe.getFailureThreshold(), 3)) {
      states.put(key, new State(next, failures, state.started()));
      return;
    }
    states.remove(key);
    String name = pod.getMetadata().getName();
    LOG.warn(
        "{} probe of pod {} ({}) failed {} times in a row: restarting its container",
        state.started() ? "liveness" : "startup",
        name,
        probe.getHttpGet().getPath(),
        failures);
    restart.accept(name);
  }

  private static int orDefault(Integer value, int otherwise) {
    return value == null ? otherwise : value;
  }

  /** A GET of the pod's REST API. */
  @FunctionalInterface
  interface Get {
    boolean ok(String scheme, String path, Duration timeout);
  }
}
