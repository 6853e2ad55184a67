package io.pgtrickle.operator.api.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.testbed.TestNamespace;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * On the real API server: the settings the change log is created with once (the NATS stream and its
 * replicas, the Kafka topics' prefix, partitions and replication) cannot change afterwards. The
 * operator creates the stream or topics only when they are missing, so an edit was accepted and
 * then ignored (replicas, partitions, replication) or silently moved the pipeline to a new, empty
 * change log (stream, topic prefix), leaving the old one and its unapplied events behind.
 */
class ChangeLogSettingsValidationIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final String BASE =
      "postgresql: {clusterRef: {name: db}, database: app}, workers: {max: 2}";
  private static final String NATS =
      "{" + BASE + ", cdc: {logBackend: nats}, nats: {url: 'nats://n:4222', stream: s1}}";
  private static final String KAFKA =
      "{"
          + BASE
          + ", cdc: {logBackend: kafka}, kafka: {bootstrapServers: 'k:9092', topicPrefix: p1,"
          + " replicationFactor: 1, partitions: 8}}";
  private static final String KAFKA_DEFAULTS =
      "{" + BASE + ", cdc: {logBackend: kafka}, kafka: {bootstrapServers: 'k:9092'}}";

  static Stream<Arguments> fixedSettings() {
    return Stream.of(
        Arguments.of(NATS, "{\"nats\":{\"stream\":\"s2\"}}", "spec.nats.stream cannot change"),
        Arguments.of(NATS, "{\"nats\":{\"stream\":null}}", "spec.nats.stream cannot change"),
        Arguments.of(
            KAFKA, "{\"kafka\":{\"topicPrefix\":\"p2\"}}", "spec.kafka.topicPrefix cannot change"),
        Arguments.of(
            KAFKA_DEFAULTS,
            "{\"kafka\":{\"topicPrefix\":\"p2\"}}",
            "spec.kafka.topicPrefix cannot change"),
        Arguments.of(
            KAFKA, "{\"kafka\":{\"partitions\":16}}", "spec.kafka.partitions cannot change"),
        Arguments.of(
            KAFKA_DEFAULTS,
            "{\"kafka\":{\"partitions\":4}}",
            "spec.kafka.partitions cannot change"));
  }

  @ParameterizedTest(name = "{1} is refused")
  @MethodSource("fixedSettings")
  void refusesAChangeOfWhatTheChangeLogWasCreatedWith(String spec, String patch, String message) {
    Resource<GenericKubernetesResource> stc = create(spec);
    assertThatThrownBy(() -> stc.patch(merge(), "{\"spec\":" + patch + "}"))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(message);
  }

  /**
   * What the pods only connect with still changes: a broker list or server address; and the number
   * of copies (NATS stream replicas, Kafka replication factor), which the operator changes on the
   * stream or topics (ChangeLogLifecycleIT).
   */
  @Test
  void theServersAndTheNumberOfCopiesStillChange() {
    create(NATS).patch(merge(), "{\"spec\":{\"nats\":{\"url\":\"nats://n2:4222\"}}}");
    assertThat(
            Serialization.asJson(
                create(NATS).patch(merge(), "{\"spec\":{\"nats\":{\"replicas\":3}}}")))
        .contains("\"replicas\":3");
    GenericKubernetesResource kafka =
        create(KAFKA)
            .patch(
                merge(),
                "{\"spec\":{\"kafka\":{\"bootstrapServers\":\"k:9092,k2:9092\"},"
                    + "\"workers\":{\"max\":3}}}");
    assertThat(Serialization.asJson(kafka)).contains("k:9092,k2:9092");
    assertThat(
            Serialization.asJson(
                create(KAFKA).patch(merge(), "{\"spec\":{\"kafka\":{\"replicationFactor\":3}}}")))
        .contains("\"replicationFactor\":3");
    assertThat(
            Serialization.asJson(
                create(KAFKA_DEFAULTS)
                    .patch(merge(), "{\"spec\":{\"kafka\":{\"replicationFactor\":2}}}")))
        .contains("\"replicationFactor\":2");
  }

  private static Resource<GenericKubernetesResource> create(String spec) {
    String name = "cl-" + COUNTER.incrementAndGet();
    String yaml =
        "apiVersion: "
            + StreamTableCluster.API_VERSION
            + "\nkind: StreamTableCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec: "
            + spec
            + "\n";
    NAMESPACE
        .client()
        .resource(Serialization.unmarshal(yaml, GenericKubernetesResource.class))
        .create();
    return NAMESPACE
        .client()
        .genericKubernetesResources(StreamTableCluster.API_VERSION, "StreamTableCluster")
        .inNamespace(NAMESPACE.name())
        .withName(name);
  }

  private static PatchContext merge() {
    return PatchContext.of(PatchType.JSON_MERGE);
  }
}
