package io.pgtrickle.program.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code PGTRICKLE_LOG_LEVEL}: the level of every logger, read by the programs' logback.xml (not by
 * their parsers), so it has no flag. logback takes an unknown or empty level as DEBUG without a
 * word; the programs refuse it at start instead (exit 2).
 */
public final class LogLevel {

  /** The variable. */
  public static final String VARIABLE = "PGTRICKLE_LOG_LEVEL";

  /** The logback levels the variable may name, in any case. */
  public static final List<String> LEVELS =
      List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  private LogLevel() {}

  /**
   * Refuses a level logback would not understand; an unset variable (INFO) passes.
   *
   * @param env the environment
   * @param error makes the program's exception from a message
   * @throws RuntimeException from {@code error}, naming the variable, the value and the levels
   */
  public static void check(
      Map<String, String> env, Function<String, ? extends RuntimeException> error) {
    String level = env.get(VARIABLE);
    if (level != null && !LEVELS.contains(level.trim().toUpperCase(Locale.ROOT))) {
      throw error.apply(
          VARIABLE
              + ": '"
              + level
              + "' is not a log level; use one of "
              + String.join(", ", LEVELS)
              + " (any case), or leave it unset for INFO");
    }
  }
}
