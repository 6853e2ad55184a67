package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness of PostgreSQL member pods in a test namespace that no {@link PatroniPods} plays (tests
 * of the API objects alone: provisioning, status, validation). kwok starts member pods not ready
 * (testbed.sh {@code write_stages}: their readiness is Patroni's {@code /health}, which {@link
 * PatroniPods} probes); with no process behind them nothing would ever mark them ready, so this
 * marks each new member pod Ready once, as kwok did for every pod before 2026-12-04. Once only, per
 * pod UID: a test that then marks a pod not ready keeps it so. A namespace that a {@link
 * PatroniPods} plays is left to its probe.
 */
final class UnplayedReadiness implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(UnplayedReadiness.class);

  private final KubernetesClient client;
  private final String namespace;
  private final Set<String> marked = ConcurrentHashMap.newKeySet();
  private final SharedIndexInformer<Pod> informer;

  UnplayedReadiness(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    this.informer =
        client
            .pods()
            .inNamespace(namespace)
            .withLabel("app.kubernetes.io/component", "database")
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    mark(pod);
                  }

                  @Override
                  public void onUpdate(Pod old, Pod pod) {
                    mark(pod);
                  }

                  @Override
                  public void onDelete(Pod pod, boolean unknown) {
                    marked.remove(pod.getMetadata().getUid());
                  }
                });
  }

  /** Whether kwok has just started this pod, not ready: Running, Ready False, never marked. */
  static boolean startedNotReady(Pod pod) {
    return pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase())
        && pod.getMetadata().getDeletionTimestamp() == null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "False".equals(c.getStatus()));
  }

  private void mark(Pod pod) {
    String uid = pod.getMetadata().getUid();
    if (PatroniPods.plays(namespace) || !startedNotReady(pod) || !marked.add(uid)) {
      return;
    }
    try {
      client
          .pods()
          .inNamespace(namespace)
          .withName(pod.getMetadata().getName())
          .editStatus(
              p -> {
                KubeletStatus.markReady(p, true);
                return p;
              });
    } catch (RuntimeException e) {
      marked.remove(uid);
      LOG.debug("readiness of {} not marked: {}", pod.getMetadata().getName(), e.toString());
    }
  }

  @Override
  public void close() {
    informer.close();
  }
}
