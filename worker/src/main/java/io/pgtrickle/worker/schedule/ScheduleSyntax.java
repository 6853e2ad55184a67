package io.pgtrickle.worker.schedule;

import java.util.Map;
import java.util.regex.Pattern;

/** The lexical pieces of {@link Schedule}'s forms. */
final class ScheduleSyntax {

  /** One number and unit of a compound duration. */
  static final Pattern DURATION_PART = Pattern.compile("(\\d{1,9})([smhdw])");

  /** The cron shortcuts, as 5-field expressions. */
  static final Map<String, String> CRON_ALIASES =
      Map.of(
          "@hourly", "0 * * * *",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@weekly", "0 0 * * 0",
          "@monthly", "0 0 1 * *",
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *");

  private ScheduleSyntax() {}
}
