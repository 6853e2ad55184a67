package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class NextJobSequenceTest {

  @Test
  void theNextJobFollowsTheCounter() {
    assertThat(PostgresBackupReconciler.nextSequence("nightly", 0, Set.of())).isEqualTo(1);
    assertThat(PostgresBackupReconciler.nextSequence("nightly", 4, Set.of("nightly-3")))
        .isEqualTo(5);
  }

  @Test
  void aFinishedJobIsNeverTakenForANewTrigger() {
    // A counter behind the Jobs (status written from an older copy) must not name the Job that
    // was reported already: creating it would find it (409) and take no backup.
    assertThat(PostgresBackupReconciler.nextSequence("src-backup", 0, Set.of("src-backup-1")))
        .isEqualTo(2);
    assertThat(PostgresBackupReconciler.nextSequence("nightly", 1, Set.of("nightly-2")))
        .isEqualTo(3);
    // Every finished Job is skipped, not only the one reported last.
    assertThat(
            PostgresBackupReconciler.nextSequence(
                "nightly", 0, Set.of("nightly-1", "nightly-2", "nightly-3")))
        .isEqualTo(4);
  }
}
