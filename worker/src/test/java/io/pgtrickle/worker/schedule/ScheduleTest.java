package io.pgtrickle.worker.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleTest {

  private static final Instant T = Instant.parse("2026-11-30T10:00:30Z");

  @Test
  void durations() {
    assertThat(Schedule.parse("5s")).isEqualTo(new Schedule.Every(Duration.ofSeconds(5)));
    assertThat(Schedule.parse("1h30m")).isEqualTo(new Schedule.Every(Duration.ofMinutes(90)));
    assertThat(Schedule.parse(" 2W ")).isEqualTo(new Schedule.Every(Duration.ofDays(14)));
    assertThat(Schedule.parseDuration("1d2h3m4s"))
        .isEqualTo(Duration.ofDays(1).plusHours(2).plusMinutes(3).plusSeconds(4));
    assertThat(Schedule.parseDuration("5")).isNull();
    assertThat(Schedule.parseDuration("5x")).isNull();
    assertThat(Schedule.parseDuration("s5")).isNull();
    assertThatThrownBy(() -> Schedule.parse("0s")).hasMessageContaining("zero");
  }

  @Test
  void calculated() {
    assertThat(Schedule.parse(null)).isInstanceOf(Schedule.Calculated.class);
    assertThat(Schedule.parse("calculated")).isInstanceOf(Schedule.Calculated.class);
    assertThat(Schedule.parse(null).isDue(null, T)).isFalse();
  }

  @Test
  void everyIsDueWhenTheDataIsThatOld() {
    Schedule s = Schedule.parse("10s");
    assertThat(s.isDue(null, T)).isTrue();
    assertThat(s.isDue(T.minusSeconds(9), T)).isFalse();
    assertThat(s.isDue(T.minusSeconds(10), T)).isTrue();
  }

  @Test
  void cronIsDueWhenAFiringPassedSinceTheData() {
    Schedule s = Schedule.parse("* * * * *"); // every minute, at second 0
    assertThat(s.isDue(T.minusSeconds(29), T)).isFalse(); // 10:00:01, fired at 10:00:00
    assertThat(s.isDue(T.minusSeconds(31), T)).isTrue(); // 09:59:59
    Schedule six = Schedule.parse("*/10 * * * * *"); // every 10 s
    assertThat(six.isDue(T.minusSeconds(1), T)).isTrue(); // fired at 10:00:30 itself
    assertThat(six.isDue(T.minusMillis(1).plusSeconds(1), T.plusSeconds(5))).isFalse();
    Schedule hourly = Schedule.parse("@hourly");
    assertThat(hourly.isDue(T.minusSeconds(29), T)).isFalse();
    assertThat(hourly.isDue(T.minusSeconds(31), T)).isTrue();
    assertThat(Schedule.parse("@daily")).isInstanceOf(Schedule.Cron.class);
  }

  @Test
  void badSchedulesAreNamed() {
    assertThatThrownBy(() -> Schedule.parse("every minute"))
        .hasMessageContaining("'every minute' is neither a duration");
    assertThatThrownBy(() -> Schedule.parse("61 * * * *"))
        .hasMessageContaining("'61 * * * *' is not valid cron");
  }
}
