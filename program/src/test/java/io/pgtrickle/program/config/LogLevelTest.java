package io.pgtrickle.program.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogLevelTest {

  /**
   * logback.xml reads PGTRICKLE_LOG_LEVEL before the parser runs and takes an unknown or empty
   * level as DEBUG silently: the check refuses it naming the variable and the levels.
   */
  @Test
  void onlyLevelsLogbackKnows() {
    assertThatCode(() -> LogLevel.check(Map.of(), IllegalStateException::new))
        .as("unset: INFO")
        .doesNotThrowAnyException();
    for (String level : List.of("TRACE", "debug", " Info ", "WARN", "error", "off")) {
      LogLevel.check(Map.of(LogLevel.VARIABLE, level), IllegalStateException::new);
      assertThat(Level.toLevel(level.trim(), null)).as("logback knows %s", level).isNotNull();
    }
    for (String level : List.of("loud", "", "warning", "ALL")) {
      assertThatThrownBy(
              () -> LogLevel.check(Map.of(LogLevel.VARIABLE, level), IllegalStateException::new))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "PGTRICKLE_LOG_LEVEL: '"
                  + level
                  + "' is not a log level; use one of TRACE, DEBUG, INFO, WARN, ERROR, OFF (any"
                  + " case), or leave it unset for INFO");
    }
  }
}
