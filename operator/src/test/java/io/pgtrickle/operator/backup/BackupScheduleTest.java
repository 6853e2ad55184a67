package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.operator.api.PostgresBackupSpec;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
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

  /** The CRD's rule as a Java regular expression (the CEL string literal unescaped). */
  private static final Pattern RULE =
      Pattern.compile(
          PostgresBackupSpec.SCHEDULE_RULE
              .substring("self.matches('".length(), PostgresBackupSpec.SCHEDULE_RULE.length() - 2)
              .replace("\\\\", "\\"));

  @Test
  void theCrdTakesWhatTheCronJobTakesAndCronUtilsReadsAllOfIt() {
    for (String ok :
        List.of(
            "0 2 * * *",
            " 0 2 * * * ",
            "@daily",
            "@hourly",
            "* * * * *",
            "0 */6 * * *",
            "*/5 1-5/2 1,15 * 0",
            "0 2 * JAN MON-FRI",
            "30 23 31 12 6")) {
      assertThat(RULE.matcher(ok).matches()).as(ok).isTrue();
      assertThat(BackupSchedule.parse(ok).next(Instant.parse("2024-01-15T02:00:00Z")))
          .as(ok)
          .isPresent();
    }
    // What the CronJob API refuses (robfig/cron's standard parser, no TZ= in the schedule).
    for (String refused :
        List.of(
            "0 2 * *",
            "0 2 * * 7",
            "61 * * * *",
            "0 24 * * *",
            "0 2 0 * *",
            "0 2 * 13 *",
            "0 2 * * ?",
            "0 2 L * *",
            "0 2 * * */0",
            "TZ=UTC 0 2 * * *",
            "@every 1h")) {
      assertThat(RULE.matcher(refused).matches()).as(refused).isFalse();
    }
  }

  @Test
  void aScheduleThatNeverFiresIsRefusedAndALeapDayIsNot() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> BackupSchedule.parse("0 0 30 2 *"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spec.schedule \"0 0 30 2 *\" never fires");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> BackupSchedule.parse("0 0 31 4 *"))
        .hasMessageContaining("never fires");
    org.assertj.core.api.Assertions.assertThat(
            BackupSchedule.parse("0 0 29 2 *")
                .next(java.time.Instant.parse("2026-12-06T00:00:00Z")))
        .contains(java.time.Instant.parse("2028-02-29T00:00:00Z"));
  }
}
