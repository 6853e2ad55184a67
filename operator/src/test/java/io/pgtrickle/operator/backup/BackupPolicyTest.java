package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackupPolicyTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

  private static RepositoryBackup full(String label, String owner, Duration age, boolean keep) {
    Map<String, String> annotations =
        keep
            ? Map.of(BackupPolicy.OWNER_ANNOTATION, owner, BackupPolicy.KEEP_ANNOTATION, "true")
            : Map.of(BackupPolicy.OWNER_ANNOTATION, owner);
    Instant at = NOW.minus(age);
    return new RepositoryBackup(
        label, "full", null, List.of(), at, at, 100, 10L, "W1", "W2", "0/1", "0/2", annotations);
  }

  private static RepositoryBackup diff(String label, String full, String owner, Duration age) {
    Instant at = NOW.minus(age);
    return new RepositoryBackup(
        label,
        "diff",
        full,
        List.of(full),
        at,
        at,
        100,
        1L,
        "W3",
        "W4",
        "0/3",
        "0/4",
        Map.of(BackupPolicy.OWNER_ANNOTATION, owner));
  }

  private static RepositoryBackup incr(String label, String prior, String owner, Duration age) {
    Instant at = NOW.minus(age);
    return new RepositoryBackup(
        label,
        "incr",
        prior,
        List.of(prior),
        at,
        at,
        100,
        1L,
        "W3",
        "W4",
        "0/3",
        "0/4",
        Map.of(BackupPolicy.OWNER_ANNOTATION, owner));
  }

  @Test
  void theFirstBackupIsFullThenIncrementalUntilCountBackupsBuildOnTheFull() {
    List<RepositoryBackup> repo = new ArrayList<>();
    assertThat(BackupPolicy.nextType(repo, "a", 3, 7, false, NOW)).isEqualTo("full");
    repo.add(full("F1", "a", Duration.ofHours(3), false));
    assertThat(BackupPolicy.nextType(repo, "a", 3, 7, false, NOW)).isEqualTo("incr");
    repo.add(incr("I1", "F1", "a", Duration.ofHours(2)));
    assertThat(BackupPolicy.nextType(repo, "a", 3, 7, false, NOW)).isEqualTo("incr");
    repo.add(incr("I2", "I1", "a", Duration.ofHours(1)));
    assertThat(BackupPolicy.nextType(repo, "a", 3, 7, false, NOW)).isEqualTo("full");
  }

  @Test
  void anIncrementalThatStaysKeepsItsWholeChainEvenWhatItDoesNotReference() {
    // I2 builds on I1 (its prior) but references only F1's files: expiring I1 would remove I2.
    RepositoryBackup i2 =
        new RepositoryBackup(
            "I2",
            "incr",
            "I1",
            List.of("F1"),
            NOW.minus(Duration.ofHours(1)),
            NOW.minus(Duration.ofHours(1)),
            100,
            1L,
            "W5",
            "W6",
            "0/5",
            "0/6",
            Map.of(BackupPolicy.OWNER_ANNOTATION, "b"));
    List<RepositoryBackup> repo =
        List.of(
            full("F1", "a", Duration.ofHours(4), false),
            incr("I1", "F1", "a", Duration.ofHours(3)),
            i2,
            full("F2", "a", Duration.ofHours(2), false));
    assertThat(BackupPolicy.expire(repo, "a", 1, 7, NOW)).isEmpty();
    // Without another resource's backup on the chain, the whole chain goes with its full.
    List<RepositoryBackup> ours =
        List.of(
            full("F1", "a", Duration.ofHours(4), false),
            incr("I1", "F1", "a", Duration.ofHours(3)),
            incr("I2", "I1", "a", Duration.ofHours(2)),
            full("F2", "a", Duration.ofHours(1), false));
    assertThat(BackupPolicy.expire(ours, "a", 1, 7, NOW)).containsExactly("F1");
    // Keep 3: I1 and I2 stay, and so F1 does.
    assertThat(BackupPolicy.expire(ours, "a", 3, 7, NOW)).isEmpty();
  }

  @Test
  void aFullOlderThanDaysOrAnotherResourcesFullOrKeepForeverMeansFull() {
    List<RepositoryBackup> old = List.of(full("F1", "a", Duration.ofDays(8), false));
    assertThat(BackupPolicy.nextType(old, "a", 5, 7, false, NOW)).isEqualTo("full");
    List<RepositoryBackup> others = List.of(full("F1", "b", Duration.ofHours(1), false));
    assertThat(BackupPolicy.nextType(others, "a", 5, 7, false, NOW)).isEqualTo("full");
    List<RepositoryBackup> recent = List.of(full("F1", "a", Duration.ofHours(1), false));
    assertThat(BackupPolicy.nextType(recent, "a", 5, 7, true, NOW)).isEqualTo("full");
  }

  @Test
  void beyondCountGoesExceptWhatAKeptBackupNeeds() {
    List<RepositoryBackup> repo =
        List.of(
            full("F1", "a", Duration.ofHours(4), false),
            diff("D1", "F1", "a", Duration.ofHours(3)),
            full("F2", "a", Duration.ofHours(2), false),
            diff("D2", "F2", "a", Duration.ofHours(1)));
    // Keep 2: F2, D2. F1 goes with D1 (one expire --set on the full).
    assertThat(BackupPolicy.expire(repo, "a", 2, 7, NOW)).containsExactly("F1");
    // Keep 3: D1 stays, so F1 stays too.
    assertThat(BackupPolicy.expire(repo, "a", 3, 7, NOW)).isEmpty();
  }

  @Test
  void olderThanDaysGoesButTheNewestAlwaysStays() {
    List<RepositoryBackup> repo =
        List.of(
            full("F1", "a", Duration.ofDays(10), false),
            full("F2", "a", Duration.ofDays(9), false));
    assertThat(BackupPolicy.expire(repo, "a", 5, 7, NOW)).containsExactly("F1");
  }

  @Test
  void keepForeverAndOtherResourcesBackupsNeverGo() {
    List<RepositoryBackup> repo =
        List.of(
            full("F1", "a", Duration.ofDays(30), true),
            full("X1", "b", Duration.ofDays(30), false),
            full("F2", "a", Duration.ofHours(2), false),
            full("F3", "a", Duration.ofHours(1), false));
    assertThat(BackupPolicy.expire(repo, "a", 1, 7, NOW)).containsExactly("F2");
  }

  @Test
  void aFullAnotherResourcesDiffNeedsStays() {
    List<RepositoryBackup> repo =
        List.of(
            full("F1", "a", Duration.ofHours(3), false),
            diff("D1", "F1", "b", Duration.ofHours(2)),
            full("F2", "a", Duration.ofHours(1), false));
    assertThat(BackupPolicy.expire(repo, "a", 1, 7, NOW)).isEmpty();
  }
}
