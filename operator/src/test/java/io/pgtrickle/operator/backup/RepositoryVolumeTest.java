package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RepositoryVolumeTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final Instant NOW = Instant.parse("2026-12-04T09:00:00Z");

  private static PostgresCluster cluster(String backup) {
    return YAML.unmarshal(
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: c\n"
            + "  namespace: ns\nspec:\n  version: 16\n  replicas: 1\n  storage:\n    size: 1Gi\n"
            + "  backup: "
            + backup
            + "\n",
        PostgresCluster.class);
  }

  private static PersistentVolumeClaim claim(String size) {
    return new PersistentVolumeClaimBuilder()
        .withNewMetadata()
        .withName("c-pgbackrest-repo")
        .endMetadata()
        .withNewSpec()
        .withNewResources()
        .addToRequests("storage", new Quantity(size))
        .endResources()
        .endSpec()
        .build();
  }

  @Test
  void theSameQuantityIsNoProblemHoweverWritten() {
    assertThat(RepositoryVolume.sizeProblem(cluster("{destination: {size: 2Gi}}"), claim("2Gi")))
        .isEmpty();
    assertThat(RepositoryVolume.sizeProblem(cluster("{destination: {size: 2048Mi}}"), claim("2Gi")))
        .isEmpty();
    // No destination.size: the volume has spec.storage.size.
    assertThat(RepositoryVolume.sizeProblem(cluster("{}"), claim("1Gi"))).isEmpty();
  }

  @Test
  void aLargerSizeNamesTheFieldBothSizesAndHowToExpandTheClaim() {
    assertThat(RepositoryVolume.sizeProblem(cluster("{destination: {size: 20Gi}}"), claim("2Gi")))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith(
                        "spec.backup.destination.size is 20Gi but the repository volume"
                            + " c-pgbackrest-repo exists with 2Gi")
                    .contains("never resizes it")
                    .contains(
                        "kubectl patch pvc c-pgbackrest-repo -p"
                            + " '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"20Gi\"}}}}'")
                    .contains("add it back with destination.size 2Gi"));
  }

  @Test
  void aSmallerSizeCannotShrinkTheVolume() {
    assertThat(RepositoryVolume.sizeProblem(cluster("{}"), claim("5Gi")))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith(
                        "spec.backup.destination.size is absent, so spec.storage.size (1Gi)"
                            + " applies, but the repository volume c-pgbackrest-repo exists with"
                            + " 5Gi")
                    .contains("A volume cannot shrink")
                    .doesNotContain("kubectl patch"));
  }

  @Test
  void theConditionIsForVolumeRepositoriesOnly() {
    PostgresCluster pvc = cluster("{}");
    List<Condition> mismatch =
        RepositoryVolume.condition(List.of(), pvc, Optional.of("spec.backup..."), 2, NOW);
    Condition c = Conditions.find(mismatch, "BackupRepository").orElseThrow();
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("RepositorySizeMismatch");
    assertThat(c.getMessage()).isEqualTo("spec.backup...");
    Condition ok =
        Conditions.find(
                RepositoryVolume.condition(mismatch, pvc, Optional.empty(), 3, NOW),
                "BackupRepository")
            .orElseThrow();
    assertThat(ok.getStatus()).isEqualTo("True");
    assertThat(ok.getReason()).isEqualTo("RepositoryAsSpecified");
    PostgresCluster s3 =
        cluster("{destination: {type: S3, bucket: b, region: r, credentialsSecret: c}}");
    assertThat(RepositoryVolume.condition(mismatch, s3, Optional.empty(), 3, NOW)).isEmpty();
    PostgresCluster none = cluster("null");
    assertThat(RepositoryVolume.condition(mismatch, none, Optional.empty(), 3, NOW)).isEmpty();
  }
}
