package io.pgtrickle.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MemberVolumesTest {

  private static final Path ROOT = Path.of("/work/volumes");

  @Test
  void aClaimCreatedAgainUnderItsNameGetsAnotherDirectory() {
    Path first = MemberVolumes.directory(ROOT, "data-pg-0", "6a1f-1");
    assertThat(first).isEqualTo(Path.of("/work/volumes/data-pg-0-6a1f-1"));
    assertThat(MemberVolumes.directory(ROOT, "data-pg-0", "6a1f-2")).isNotEqualTo(first);
    // A pod started again on the same claim finds the same directory.
    assertThat(MemberVolumes.directory(ROOT, "data-pg-0", "6a1f-1")).isEqualTo(first);
  }

  @Test
  void thePodsDataClaimIsTheOneItsDataVolumeNames() {
    Pod named =
        new PodBuilder()
            .withNewMetadata()
            .withName("pg-0")
            .endMetadata()
            .withNewSpec()
            .addNewVolume()
            .withName("pgbackrest")
            .withNewPersistentVolumeClaim()
            .withClaimName("pg-pgbackrest-repo")
            .endPersistentVolumeClaim()
            .endVolume()
            .addNewVolume()
            .withName("data")
            .withNewPersistentVolumeClaim()
            .withClaimName("data-pg-0")
            .endPersistentVolumeClaim()
            .endVolume()
            .endSpec()
            .build();
    assertThat(MemberVolumes.claimOf(named)).isEqualTo("data-pg-0");
    Pod bare =
        new PodBuilder()
            .withNewMetadata()
            .withName("pg-1")
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .build();
    assertThat(MemberVolumes.claimOf(bare)).isEqualTo("data-pg-1");
  }
}
