package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackupScheduleTest {

  @Test
  void theTicketsScheduleRunsAtTwoInTheMorningUtc() {
    assertThat(BackupSchedule.parse("0 2 * * *").next(Instant.parse("2024-01-15T02:00:00Z")))
        .contains(Instant.parse("2024-01-16T02:00:00Z"));
  }

  @Test
  void macrosAndEveryMinute() {
    assertThat(BackupSchedule.parse("@hourly").next(Instant.parse("2024-01-15T02:10:00Z")))
        .contains(Instant.parse("2024-01-15T03:00:00Z"));
    assertThat(BackupSchedule.parse("* * * * *").next(Instant.parse("2024-01-15T02:10:30Z")))
        .contains(Instant.parse("2024-01-15T02:11:00Z"));
  }

  @Test
  void aBadExpressionIsNamed() {
    assertThatThrownBy(() -> BackupSchedule.parse("61 * * * *"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spec.schedule \"61 * * * *\"");
  }
}
