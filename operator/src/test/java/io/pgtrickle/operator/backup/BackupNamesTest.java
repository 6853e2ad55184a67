package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackupNamesTest {

  @Test
  void shortNamesStayLongOnesAreCutWithAHash() {
    assertThat(BackupNames.cronJob("nightly")).isEqualTo("nightly");
    assertThat(BackupNames.job("nightly", 12)).isEqualTo("nightly-12");
    String long63 = "a".repeat(63);
    assertThat(BackupNames.cronJob(long63)).hasSize(52).matches("a{45}-[0-9a-f]{6}");
    assertThat(BackupNames.job(long63, 7)).hasSize(63).endsWith("-7");
    assertThat(BackupNames.cronJob(long63)).isNotEqualTo(BackupNames.cronJob("a".repeat(62)));
    // No double dash where the cut falls after one.
    assertThat(BackupNames.cronJob("a".repeat(44) + "-" + "b".repeat(18))).doesNotContain("--");
  }
}
