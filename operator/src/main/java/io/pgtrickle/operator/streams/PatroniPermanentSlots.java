package io.pgtrickle.operator.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * The permanent slots in the dynamic configuration a PostgresCluster's Patroni runs with: the keys
 * of {@code slots} in the {@code config} annotation of the ConfigMap {@code SCOPE-config}, where
 * Patroni's Kubernetes DCS keeps it (the operator's clusters use ConfigMaps, and the scope is the
 * cluster's name).
 *
 * <p>Why: on PostgreSQL 16 and older a CDC consumer's slot is a permanent slot (see {@link
 * io.pgtrickle.operator.postgres.spec.PipelineSlot}). A decommission Job that dropped it while
 * Patroni still had it there would see Patroni create it again on the primary and copy it to the
 * replicas. The PostgresCluster reconciler removes it from {@code slots} as soon as the consumer is
 * no longer wanted, but in its own reconcile; the Job waits until Patroni's configuration shows it.
 */
final class PatroniPermanentSlots {

  private static final ObjectMapper JSON = new ObjectMapper();

  private PatroniPermanentSlots() {}

  /**
   * The names of the permanent slots of {@code cluster}.
   *
   * @param client the client
   * @param namespace the cluster's namespace
   * @param cluster the PostgresCluster's name (Patroni's scope)
   * @return the names; empty when there is no configuration yet or it has no {@code slots}
   */
  static Set<String> of(KubernetesClient client, String namespace, String cluster) {
    ConfigMap config =
        client.configMaps().inNamespace(namespace).withName(cluster + "-config").get();
    String json =
        config == null || config.getMetadata().getAnnotations() == null
            ? null
            : config.getMetadata().getAnnotations().get("config");
    return names(json);
  }

  /**
   * The keys of {@code slots} in Patroni's dynamic configuration.
   *
   * @param json the {@code config} annotation, or null
   * @return the names, sorted; empty for null, no {@code slots}, or a value that is not JSON
   */
  static Set<String> names(String json) {
    Set<String> names = new TreeSet<>();
    if (json == null || json.isBlank()) {
      return names;
    }
    try {
      JsonNode slots = JSON.readTree(json).path("slots");
      for (Iterator<String> it = slots.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (!slots.get(name).isNull()) {
          names.add(name);
        }
      }
    } catch (JsonProcessingException e) {
      // Patroni writes it; a value that is not JSON holds no slot it could act on.
    }
    return names;
  }
}
