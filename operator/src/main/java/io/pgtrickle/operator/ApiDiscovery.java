package io.pgtrickle.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether the API server serves a kind of another project (ServiceMonitor, PodMonitor, KEDA's
 * ScaledObject, cert-manager's Certificate), read from API discovery and cached for {@link #TTL}: a
 * CRD installed later is picked up within a minute, without a discovery call per reconciliation.
 * Discovery needs no RBAC rule.
 */
public final class ApiDiscovery {

  public static final Duration TTL = Duration.ofMinutes(1);

  private record Answer(boolean served, Instant at) {}

  /**
   * Per client, so an operator started again (a new client, as after a pod restart) asks afresh;
   * weakly held, so a closed client's answers go with it.
   */
  private static final Map<KubernetesClient, Map<String, Answer>> ANSWERS =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  private ApiDiscovery() {}

  /**
   * @param apiVersion {@code group/version}, e.g. {@code keda.sh/v1alpha1}
   * @param kind e.g. {@code ScaledObject}
   */
  public static boolean serves(KubernetesClient client, String apiVersion, String kind) {
    String key = apiVersion + "/" + kind;
    Instant now = Instant.now();
    Map<String, Answer> answers = ANSWERS.computeIfAbsent(client, c -> new ConcurrentHashMap<>());
    Answer answer = answers.get(key);
    if (answer == null || now.isAfter(answer.at().plus(TTL))) {
      boolean served;
      try {
        served = client.supports(apiVersion, kind);
      } catch (KubernetesClientException e) {
        served = false; // asked again after the TTL
      }
      answer = new Answer(served, now);
      answers.put(key, answer);
    }
    return answer.served();
  }
}
