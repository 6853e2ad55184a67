package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.backup.spec.BackupJob;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackupMemberTest {

  /**
   * Patroni's {@code history} annotation after one failover (the form Patroni 4 writes: the line of
   * timeline 1 names bk-1, the member whose promotion started timeline 2).
   */
  private static final String ONE_FAILOVER =
      "[[1,486539424,\"no recovery target specified\",\"2026-12-07T21:30:05.918402+00:00\","
          + "\"bk-1\"]]";

  @Test
  void aBackupOfThePrimaryOnALaterTimelineReadItsLeaderNotThePlannedMember() {
    // The trial: the Job planned bk-0; bk-0 was deleted, its retry backed up bk-1 on timeline 2.
    assertThat(BackupMember.of("bk-0", false, "00000002000000000000001D", ONE_FAILOVER))
        .contains("bk-1");
  }

  @Test
  void withoutAFailoverThePlannedMemberStands() {
    assertThat(BackupMember.of("bk-0", false, "000000010000000000000004", "[]")).contains("bk-0");
    assertThat(BackupMember.of("bk-1", false, "000000020000000000000021", ONE_FAILOVER))
        .contains("bk-1");
  }

  @Test
  void unknownHistoryOrWalLeavesThePlannedMember() {
    assertThat(BackupMember.of("bk-0", false, "00000002000000000000001D", null)).contains("bk-0");
    assertThat(BackupMember.of("bk-0", false, null, ONE_FAILOVER)).contains("bk-0");
    assertThat(BackupMember.of("bk-0", false, "00000002000000000000001D", "not json"))
        .contains("bk-0");
    // A line without the member (Patroni before 2.1, or an older timeline's line).
    assertThat(
            BackupMember.of(
                "bk-0", false, "00000002000000000000001D", "[[1,486539424,\"no recovery\"]]"))
        .contains("bk-0");
  }

  @Test
  void aStandbyBackupWhosePlannedReplicaWasPromotedReadAnotherStandby() {
    assertThat(BackupMember.of("bk-1", true, "00000002000000000000001D", ONE_FAILOVER)).isEmpty();
    assertThat(BackupMember.of("bk-2", true, "00000002000000000000001D", ONE_FAILOVER))
        .contains("bk-2");
  }

  @Test
  void timelineOfAWalFileName() {
    assertThat(BackupMember.timeline("00000002000000000000001D")).isEqualTo(2);
    assertThat(BackupMember.timeline("0000000A000000000000001D")).isEqualTo(10);
    assertThat(BackupMember.timeline("00000002000000000000001D.00000028.backup")).isEqualTo(2);
    assertThat(BackupMember.timeline("short")).isZero();
    assertThat(BackupMember.timeline(null)).isZero();
  }

  @Test
  void readsTheAnnotationsItNeeds() {
    assertThat(
            BackupMember.history(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .addToAnnotations("history", ONE_FAILOVER)
                    .endMetadata()
                    .build()))
        .isEqualTo(ONE_FAILOVER);
    assertThat(BackupMember.history(null)).isNull();
    assertThat(
            BackupMember.plannedBy(
                new JobBuilder()
                    .withNewMetadata()
                    .addToAnnotations(BackupJob.MEMBER_ANNOTATION, "bk-0")
                    .endMetadata()
                    .build()))
        .isEqualTo("bk-0");
    assertThat(BackupMember.plannedByTemplate(null)).isNull();
  }

  @Test
  void walStartOfTheNamedBackup() {
    RepositoryBackup full = backup("20261207-212204F", "000000010000000000000004");
    RepositoryBackup incr = backup("20261207-212204F_20261207-213001I", "00000002000000000000001D");
    assertThat(BackupMember.walStart(List.of(full, incr), incr.label()))
        .isEqualTo("00000002000000000000001D");
    assertThat(BackupMember.walStart(List.of(full), incr.label())).isNull();
    assertThat(BackupMember.walStart(null, incr.label())).isNull();
  }

  private static RepositoryBackup backup(String label, String walStart) {
    Instant t = Instant.parse("2026-12-07T21:30:00Z");
    return new RepositoryBackup(
        label, "full", null, null, t, t, 1, 1L, walStart, walStart, "0/1", "0/2", null);
  }
}
