package io.pgtrickle.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VolumeExpansionTest {

  static PersistentVolumeClaim claim(String className, String requested, String capacity) {
    PersistentVolumeClaimBuilder b =
        new PersistentVolumeClaimBuilder()
            .withNewMetadata()
            .withName("data-db-0")
            .endMetadata()
            .withNewSpec()
            .withStorageClassName(className)
            .withNewResources()
            .withRequests(Map.of("storage", new Quantity(requested)))
            .endResources()
            .endSpec();
    if (capacity != null) {
      b.withNewStatus().withCapacity(Map.of("storage", new Quantity(capacity))).endStatus();
    }
    return b.build();
  }

  static StorageClass storageClass(Boolean expandable) {
    return new StorageClassBuilder()
        .withNewMetadata()
        .withName("fast")
        .endMetadata()
        .withProvisioner("example.com/csi")
        .withAllowVolumeExpansion(expandable)
        .build();
  }

  @Test
  void aClaimWithTheSizeOrMoreIsAsWantedWhateverItsClass() {
    assertThat(VolumeExpansion.judge(claim("fast", "1Gi", "1Gi"), "1024Mi", null))
        .isEqualTo(new VolumeExpansion.AsWanted("data-db-0"));
    assertThat(VolumeExpansion.judge(claim(null, "5Gi", "5Gi"), "1Gi", null))
        .as("volumes never shrink: a larger one is left as it is")
        .isInstanceOf(VolumeExpansion.AsWanted.class);
    assertThat(VolumeExpansion.judge(claim("fast", "1Gi", null), "1Gi", null))
        .as("not bound yet: nothing to grow")
        .isInstanceOf(VolumeExpansion.AsWanted.class);
  }

  @Test
  void aSmallerClaimOfAnExpandableClassIsExpanded() {
    assertThat(VolumeExpansion.judge(claim("fast", "1Gi", "1Gi"), "2Gi", storageClass(true)))
        .isEqualTo(new VolumeExpansion.Expand("data-db-0", "2Gi"));
  }

  @Test
  void aClaimThatCannotGrowSaysWhy() {
    assertThat(VolumeExpansion.judge(claim("fast", "1Gi", "1Gi"), "2Gi", storageClass(null)))
        .isInstanceOf(VolumeExpansion.NotExpandable.class)
        .extracting(v -> ((VolumeExpansion.NotExpandable) v).why())
        .asString()
        .contains("StorageClass fast does not allow volume expansion");
    assertThat(VolumeExpansion.judge(claim("fast", "1Gi", "1Gi"), "2Gi", storageClass(false)))
        .isInstanceOf(VolumeExpansion.NotExpandable.class);
    assertThat(VolumeExpansion.judge(claim("", "1Gi", "1Gi"), "2Gi", null))
        .extracting(v -> ((VolumeExpansion.NotExpandable) v).why())
        .asString()
        .contains("has no StorageClass");
    assertThat(VolumeExpansion.judge(claim("gone", "1Gi", "1Gi"), "2Gi", null))
        .extracting(v -> ((VolumeExpansion.NotExpandable) v).why())
        .asString()
        .contains("StorageClass gone does not exist");
  }

  @Test
  void aRaisedRequestWhoseCapacityLagsIsExpandingOrFailed() {
    PersistentVolumeClaim growing = claim("fast", "2Gi", "1Gi");
    assertThat(VolumeExpansion.judge(growing, "2Gi", storageClass(true)))
        .isEqualTo(new VolumeExpansion.Expanding("data-db-0", "1Gi", "2Gi", null));
    growing
        .getStatus()
        .setConditions(
            List.of(
                new io.fabric8.kubernetes.api.model.PersistentVolumeClaimConditionBuilder()
                    .withType("FileSystemResizePending")
                    .withStatus("True")
                    .withLastTransitionTime("2026-12-06T10:00:00Z")
                    .build()));
    assertThat(VolumeExpansion.judge(growing, "2Gi", storageClass(true)))
        .isEqualTo(
            new VolumeExpansion.Expanding(
                "data-db-0", "1Gi", "2Gi", java.time.Instant.parse("2026-12-06T10:00:00Z")));
    PersistentVolumeClaim failed = claim("fast", "2Gi", "1Gi");
    failed
        .getStatus()
        .setAllocatedResourceStatuses(Map.of("storage", "ControllerResizeInfeasible"));
    failed
        .getStatus()
        .setConditions(
            List.of(
                new io.fabric8.kubernetes.api.model.PersistentVolumeClaimConditionBuilder()
                    .withType("ControllerResizeError")
                    .withStatus("True")
                    .withMessage("quota exceeded")
                    .build()));
    assertThat(VolumeExpansion.judge(failed, "2Gi", storageClass(true)))
        .isEqualTo(
            new VolumeExpansion.Failed("data-db-0", "ControllerResizeInfeasible: quota exceeded"));
  }

  @Test
  void onlyAClaimAskingForLessNeedsItsStorageClass() {
    assertThat(VolumeExpansion.requestBelow(claim("fast", "1Gi", "1Gi"), "2Gi")).isTrue();
    assertThat(VolumeExpansion.requestBelow(claim("fast", "2048Mi", "1Gi"), "2Gi")).isFalse();
    assertThat(VolumeExpansion.requestBelow(claim("fast", "5Gi", "5Gi"), "2Gi")).isFalse();
  }
}
