package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterValidation;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every file in config/samples is accepted by the real API server: server-side apply as a dry run
 * with strict field validation, so a misspelt or unknown field fails instead of being pruned
 * silently, and the CRD's CEL rules run.
 */
class SampleManifestsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Path SAMPLES = TestBed.repositoryRoot().resolve("config/samples");

  /**
   * Without retries: the API server answers an unknown field in an apply patch with a 500, which
   * fabric8 would otherwise retry for 20 seconds.
   */
  private static KubernetesClient client;

  @BeforeAll
  static void connect() throws IOException {
    Config config = Config.fromKubeconfig(Files.readString(NAMESPACE.testBed().kubeconfig()));
    config.setRequestRetryBackoffLimit(0);
    client = new KubernetesClientBuilder().withConfig(config).build();
  }

  @AfterAll
  static void disconnect() {
    client.close();
  }

  @Test
  void theDocumentedSamplesExist() throws IOException {
    try (Stream<Path> files = Files.list(SAMPLES)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .contains(
              "basic-cluster.yaml",
              "production-ha.yaml",
              "backup-s3.yaml",
              "backup-gcs.yaml",
              "backup-azure.yaml",
              "backup-minio.yaml",
              "backup-encrypted.yaml",
              "networkpolicy-postgresql.yaml",
              "streamtablecluster.yaml");
    }
  }

  @Test
  void everySampleIsAcceptedByTheApiServer() throws IOException {
    List<Path> files;
    try (Stream<Path> listed = Files.list(SAMPLES)) {
      files = listed.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    for (Path file : files) {
      String refusal =
          Files.readAllLines(file).stream()
              .filter(l -> l.startsWith("# expect: rejected: "))
              .map(l -> l.substring("# expect: rejected: ".length()))
              .findFirst()
              .orElse(null);
      for (GenericKubernetesResource object : documents(file)) {
        String what = file.getFileName() + ": " + object.getKind() + " " + name(object);
        if (refusal != null) {
          // Samples of what is not built yet: the API server refuses them, saying so.
          assertThatThrownBy(() -> dryRunApply(object))
              .as(what)
              .isInstanceOf(KubernetesClientException.class)
              .hasMessageContaining(refusal);
          continue;
        }
        GenericKubernetesResource applied = dryRunApply(object);
        assertThat(applied.getMetadata().getUid()).as(what).isNotNull();

        if ("PostgresCluster".equals(object.getKind())) {
          PostgresCluster cluster =
              PgTrickleChart.SERIALIZATION.convertValue(object, PostgresCluster.class);
          assertThat(ClusterValidation.ofSpec(cluster))
              .as("%s passes the operator's own checks", what)
              .isEmpty();
        }
      }
    }
  }

  /** The check above would prove little if unknown fields were dropped instead of rejected. */
  @Test
  void aMisspeltFieldIsRejected() throws IOException {
    GenericKubernetesResource cluster = documents(SAMPLES.resolve("basic-cluster.yaml")).get(0);
    cluster.setAdditionalProperty(
        "spec",
        Map.of("version", 16, "replicas", 3, "storage", Map.of("size", "1Gi", "sise", "1Gi")));

    assertThatThrownBy(() -> dryRunApply(cluster))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("sise");
  }

  private GenericKubernetesResource dryRunApply(GenericKubernetesResource object) {
    return client
        .resource(object)
        .inNamespace(NAMESPACE.name())
        .dryRun()
        .fieldValidation(Validation.STRICT)
        .fieldManager("sample-check")
        .forceConflicts()
        .serverSideApply();
  }

  /** The YAML documents of a file, kept generic so that no field is lost on the way. */
  private static List<GenericKubernetesResource> documents(Path file) throws IOException {
    return Arrays.stream(Files.readString(file).split("(?m)^---\\s*$"))
        .filter(d -> d.lines().anyMatch(l -> !l.isBlank() && !l.strip().startsWith("#")))
        .map(d -> PgTrickleChart.SERIALIZATION.unmarshal(d, GenericKubernetesResource.class))
        .toList();
  }

  private static String name(GenericKubernetesResource object) {
    return object.getMetadata().getName();
  }
}
