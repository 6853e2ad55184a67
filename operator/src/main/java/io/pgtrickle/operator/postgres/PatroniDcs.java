package io.pgtrickle.operator.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.pgtrickle.operator.api.PostgresCluster;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The dynamic configuration Patroni runs a cluster with, where its Kubernetes DCS keeps it: the
 * {@code config} annotation (JSON) of the ConfigMap {@code SCOPE-config}, labelled with the
 * cluster's {@code kubernetes.labels} and scope label (the scope is the cluster's name). Watched,
 * so that a change made behind the operator's back ({@code patronictl edit-config}, a {@code PATCH
 * /config}) wakes the cluster's reconciler, which puts the spec's configuration back.
 *
 * <p>Patroni renews its leader lock in the {@code SCOPE-leader} ConfigMap of the same labels every
 * {@code loop_wait}: only {@code SCOPE-config} ConfigMaps are kept, and only a changed {@code
 * config} annotation is an event.
 */
final class PatroniDcs {

  static final String EVENT_SOURCE = "patroni-dcs";

  /** The annotation Patroni keeps its dynamic configuration in. */
  static final String ANNOTATION = "config";

  private static final String SUFFIX = "-config";

  private static final ObjectMapper JSON = new ObjectMapper();

  private PatroniDcs() {}

  static InformerEventSource<ConfigMap, PostgresCluster> eventSource(
      EventSourceContext<PostgresCluster> context) {
    return new InformerEventSource<>(
        InformerEventSourceConfiguration.from(ConfigMap.class, PostgresCluster.class)
            .withName(EVENT_SOURCE)
            .withLabelSelector(
                ClusterNames.PATRONI_LABEL
                    + "="
                    + ClusterNames.PATRONI_LABEL_VALUE
                    + ","
                    + ClusterNames.PATRONI_SCOPE_LABEL)
            .withGenericFilter(cm -> cm.getMetadata().getName().endsWith(SUFFIX))
            .withOnUpdateFilter(
                (now, before) -> !Objects.equals(annotation(now), annotation(before)))
            .withSecondaryToPrimaryMapper(
                cm ->
                    Set.of(
                        new ResourceID(
                            cm.getMetadata().getLabels().get(ClusterNames.PATRONI_SCOPE_LABEL),
                            cm.getMetadata().getNamespace())))
            .build(),
        context);
  }

  /**
   * Patroni's dynamic configuration of {@code cluster}, from the informer's cache.
   *
   * @return the configuration; empty before Patroni wrote it or when it is not a JSON object
   */
  @SuppressWarnings("unchecked")
  static Optional<Map<String, Object>> config(
      Context<PostgresCluster> context, PostgresCluster cluster) {
    var source =
        (InformerEventSource<ConfigMap, PostgresCluster>)
            context.eventSourceRetriever().getEventSourceFor(ConfigMap.class, EVENT_SOURCE);
    return source
        .get(
            new ResourceID(
                ClusterNames.patroniScope(cluster) + SUFFIX, cluster.getMetadata().getNamespace()))
        .flatMap(cm -> parse(annotation(cm)));
  }

  /**
   * The configuration in an annotation's text.
   *
   * @param json the annotation, or null
   * @return the configuration; empty for null, blank or anything but a JSON object
   */
  static Optional<Map<String, Object>> parse(String json) {
    if (json == null || json.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(JSON.readValue(json, new TypeReference<Map<String, Object>>() {}));
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  private static String annotation(ConfigMap cm) {
    return cm == null || cm.getMetadata().getAnnotations() == null
        ? null
        : cm.getMetadata().getAnnotations().get(ANNOTATION);
  }
}
