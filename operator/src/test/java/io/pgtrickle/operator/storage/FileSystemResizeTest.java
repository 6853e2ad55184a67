package io.pgtrickle.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FileSystemResizeTest {

  private static final Instant PENDING = Instant.parse("2026-12-06T10:00:00Z");
  private static final Instant BEFORE = PENDING.minusSeconds(3600);
  private static final Duration GRACE = Duration.ofMinutes(2);

  private static VolumeExpansion.Verdict pending(String claim) {
    return new VolumeExpansion.Expanding(claim, "1Gi", "2Gi", PENDING);
  }

  @Test
  void aFileSystemThatWaitedLongerThanTheGraceRestartsItsMember() {
    List<VolumeExpansion.Verdict> verdicts =
        List.of(
            pending("data-db-0"),
            pending("data-db-1"),
            new VolumeExpansion.Expanding("data-db-2", "1Gi", "2Gi", null),
            new VolumeExpansion.AsWanted("data-db-3"));
    Map<String, Instant> created =
        Map.of("db-0", BEFORE, "db-1", BEFORE, "db-2", BEFORE, "db-3", BEFORE);
    assertThat(FileSystemResize.podsToRestart(verdicts, created, PENDING.plus(GRACE), GRACE))
        .containsExactly("db-0", "db-1");
  }

  @Test
  void withinTheGraceTheKubeletMayStillGrowItOnline() {
    assertThat(
            FileSystemResize.podsToRestart(
                List.of(pending("data-db-0")),
                Map.of("db-0", BEFORE),
                PENDING.plus(GRACE).minusSeconds(1),
                GRACE))
        .isEmpty();
  }

  @Test
  void aPodStartedSinceHasMountedTheGrownVolumeAndIsNotRestartedAgain() {
    assertThat(
            FileSystemResize.podsToRestart(
                List.of(pending("data-db-0")),
                Map.of("db-0", PENDING.plusSeconds(5)),
                PENDING.plus(Duration.ofHours(1)),
                GRACE))
        .isEmpty();
    // No pod (being recreated): nothing to restart.
    assertThat(
            FileSystemResize.podsToRestart(
                List.of(pending("data-db-0")), Map.of(), PENDING.plus(GRACE), GRACE))
        .isEmpty();
  }

  /**
   * Regression (CI of 2026-12-06): the pod created in the second its claim began to wait (the API
   * server keeps both to the second) had mounted the volume before; it was never restarted and the
   * claim kept its old capacity.
   */
  @Test
  void aPodCreatedInTheSecondTheWaitBeganIsRestarted() {
    assertThat(
            FileSystemResize.podsToRestart(
                List.of(pending("data-db-0")), Map.of("db-0", PENDING), PENDING.plus(GRACE), GRACE))
        .containsExactly("db-0");
  }

  @Test
  void podsAreKnownByTheirCreationTimestamp() {
    var pods =
        List.of(
            new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withName("db-0")
                .withCreationTimestamp("2026-12-06T09:00:00Z")
                .endMetadata()
                .build(),
            new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withName("db-1")
                .endMetadata()
                .build());
    assertThat(FileSystemResize.created(pods))
        .containsExactly(Map.entry("db-0", Instant.parse("2026-12-06T09:00:00Z")));
  }
}
