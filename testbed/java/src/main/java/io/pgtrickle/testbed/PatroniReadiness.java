package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's readiness probe of the database pods {@link PatroniPods} plays (kwok runs none):
 * Patroni's {@code /health} on the pod IP, over HTTPS once the pod's probe asks for it, sets the
 * pod's {@code Ready} and {@code ContainersReady} conditions; and, on the same round, their
 * liveness probe ({@link PatroniLiveness}).
 */
final class PatroniReadiness {

  private static final Logger LOG = LoggerFactory.getLogger(PatroniReadiness.class);

  private final KubernetesClient client;
  private final String namespace;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  /** HTTPS probes verify nothing, as the kubelet's do not. */
  private final HttpClient https =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(3))
          .sslContext(TrustAll.context())
          // JDK 17's HttpClient stalls in TLS 1.3 handshakes with Patroni's server (see the
          // operator's PatroniClient); 1.2 answers at once.
          .sslParameters(new javax.net.ssl.SSLParameters(null, new String[] {"TLSv1.2"}))
          .build();

  private final PatroniLiveness liveness;

  /**
   * @param restart restarts a pod's container by name, when its liveness probe fails ({@link
   *     PatroniLiveness})
   */
  PatroniReadiness(
      KubernetesClient client, String namespace, java.util.function.Consumer<String> restart) {
    this.client = client;
    this.namespace = namespace;
    this.liveness = new PatroniLiveness(restart);
  }

  /**
   * The kubelet's readiness probe, which kwok does not run: Patroni's {@code /health} on the pod IP
   * decides the pod's Ready condition, so the operator sees a member ready only once its PostgreSQL
   * really runs.
   *
   * @param running the played pods' keys, {@code NAME/UID}
   * @param ips each played pod's IP, by key
   */
  void probeAll(Collection<String> running, Map<String, String> ips) {
    liveness.retain(running);
    for (String key : List.copyOf(running)) {
      String pod = key.substring(0, key.indexOf('/'));
      String ip = ips.get(key);
      try {
        Pod current = client.pods().inNamespace(namespace).withName(pod).get();
        boolean healthy =
            ip != null && current != null && healthy(ip, scheme(current), timeout(current));
        if (current == null
            || current.getStatus() == null
            || current.getStatus().getConditions() == null
            || !key.endsWith("/" + current.getMetadata().getUid())) {
          continue;
        }
        KubeletStatus.reportReady(client, namespace, current, healthy);
        if (ip != null) {
          liveness.probe(key, current, (scheme, path, timeout) -> ok(ip, scheme, path, timeout));
        }
      } catch (RuntimeException e) {
        LOG.debug("readiness of {} not updated: {}", pod, e.toString());
      }
    }
  }

  /** The scheme of the PostgreSQL container's readiness probe: HTTPS once TLS is on. */
  private static String scheme(Pod pod) {
    var probe = pod.getSpec().getContainers().get(0).getReadinessProbe();
    return probe != null
            && probe.getHttpGet() != null
            && "HTTPS".equals(probe.getHttpGet().getScheme())
        ? "https"
        : "http";
  }

  /**
   * The probe's own timeout (the template asks for 3 s; a TLS handshake on a loaded machine needs
   * it).
   */
  private static Duration timeout(Pod pod) {
    var probe = pod.getSpec().getContainers().get(0).getReadinessProbe();
    return Duration.ofSeconds(
        probe == null || probe.getTimeoutSeconds() == null ? 1 : probe.getTimeoutSeconds());
  }

  private boolean healthy(String ip, String scheme, Duration timeout) {
    return ok(ip, scheme, "/health", timeout);
  }

  /** Whether a GET of {@code path} of Patroni's REST API on {@code ip} answers 200. */
  private boolean ok(String ip, String scheme, String path, Duration timeout) {
    try {
      HttpResponse<Void> response =
          ("https".equals(scheme) ? https : http)
              .send(
                  HttpRequest.newBuilder(URI.create(scheme + "://" + ip + ":8008" + path))
                      .timeout(timeout)
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
