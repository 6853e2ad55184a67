package io.pgtrickle.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StorageConditionTest {

  private static final Instant NOW = Instant.parse("2026-12-06T08:00:00Z");

  @Test
  void theConditionSaysTheWorstAndWhatToDo() {
    String size = "2Gi";
    var asSpecified =
        StorageCondition.with(
            List.of(), List.of(new VolumeExpansion.AsWanted("data-db-0")), size, 3, NOW);
    assertThat(asSpecified.get(0).getStatus()).isEqualTo("True");
    assertThat(asSpecified.get(0).getReason()).isEqualTo(StorageCondition.AS_SPECIFIED);
    assertThat(asSpecified.get(0).getObservedGeneration()).isEqualTo(3L);

    var growing =
        List.<VolumeExpansion.Verdict>of(
            new VolumeExpansion.AsWanted("data-db-0"),
            new VolumeExpansion.Expanding("data-db-1", "1Gi", size, java.time.Instant.EPOCH),
            new VolumeExpansion.Expand("data-db-2", size));
    var expanding = StorageCondition.with(List.of(), growing, size, 3, NOW).get(0);
    assertThat(expanding.getStatus()).isEqualTo("False");
    assertThat(expanding.getReason()).isEqualTo(StorageCondition.EXPANDING);
    assertThat(expanding.getMessage())
        .contains("data-db-1 has 1Gi, its file system grows when its pod mounts it again")
        .contains("data-db-2 asked for 2Gi")
        .doesNotContain("data-db-0");
    assertThat(StorageCondition.growing(growing)).isTrue();
    // Claims in the same state are named together, in the plural.
    var both =
        StorageCondition.with(
                List.of(),
                List.of(
                    new VolumeExpansion.Expanding(
                        "data-db-0", "1Gi", size, java.time.Instant.EPOCH),
                    new VolumeExpansion.Expanding(
                        "data-db-1", "1Gi", size, java.time.Instant.EPOCH)),
                size,
                3,
                NOW)
            .get(0);
    assertThat(both.getMessage())
        .contains(
            "data-db-0 and data-db-1 have 1Gi, their file systems grow when their pods mount them"
                + " again")
        .contains("the operator restarts the members");

    var refused =
        StorageCondition.with(
                List.of(),
                List.of(
                    new VolumeExpansion.Expanding("data-db-0", "1Gi", size, null),
                    new VolumeExpansion.NotExpandable("data-db-1", "its StorageClass fast ...")),
                size,
                3,
                NOW)
            .get(0);
    assertThat(refused.getReason()).isEqualTo(StorageCondition.NOT_ALLOWED);
    assertThat(refused.getMessage())
        .contains("spec.storage.size is 2Gi but data-db-1 cannot grow")
        .contains("allowVolumeExpansion")
        .contains("set spec.storage.size back to the volumes' size (status.storageSize)");
    var grouped =
        StorageCondition.with(
                List.of(),
                List.of(
                    new VolumeExpansion.NotExpandable("data-db-0", "it has no StorageClass"),
                    new VolumeExpansion.NotExpandable("data-db-1", "it has no StorageClass"),
                    new VolumeExpansion.NotExpandable("data-db-2", "it has no StorageClass")),
                size,
                3,
                NOW)
            .get(0);
    assertThat(grouped.getMessage())
        .as("claims with the same explanation named together")
        .startsWith(
            "spec.storage.size is 2Gi but data-db-0, data-db-1 and data-db-2 cannot grow: they have"
                + " no StorageClass. ");

    var failed =
        StorageCondition.with(
                List.of(),
                List.of(
                    new VolumeExpansion.NotExpandable("data-db-1", "x"),
                    new VolumeExpansion.Failed("data-db-0", "the API server refused ...")),
                size,
                3,
                NOW)
            .get(0);
    assertThat(failed.getReason()).isEqualTo(StorageCondition.FAILED);
    assertThat(failed.getMessage())
        .startsWith(
            "spec.storage.size is 2Gi but growing failed for data-db-0: the API server refused");
    assertThat(StorageCondition.growing(List.of(new VolumeExpansion.AsWanted("a")))).isFalse();
    assertThat(StorageCondition.with(asSpecified, List.of(), size, 4, NOW))
        .as("no claim looked at: the condition stays")
        .isEqualTo(asSpecified);
  }
}
