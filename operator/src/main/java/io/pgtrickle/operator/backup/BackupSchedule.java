package io.pgtrickle.operator.backup;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A PostgresBackup's cron schedule (UTC), with cron-utils. Pure. */
public final class BackupSchedule {

  private static final CronParser PARSER =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  /** The CronJob macros, as five fields. */
  private static final Map<String, String> MACROS =
      Map.of(
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *",
          "@monthly", "0 0 1 * *",
          "@weekly", "0 0 * * 0",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@hourly", "0 * * * *");

  private final ExecutionTime execution;

  private BackupSchedule(ExecutionTime execution) {
    this.execution = execution;
  }

  /**
   * Parses {@code schedule}.
   *
   * @throws IllegalArgumentException naming what is wrong, for the status message
   */
  public static BackupSchedule parse(String schedule) {
    String text = schedule.trim();
    String fields = MACROS.getOrDefault(text.toLowerCase(Locale.ROOT), text);
    try {
      return new BackupSchedule(ExecutionTime.forCron(PARSER.parse(fields).validate()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "spec.schedule \"" + schedule + "\" is not a valid cron expression: " + e.getMessage(),
          e);
    }
  }

  /** The first run strictly after {@code after}. */
  public Optional<Instant> next(Instant after) {
    return execution
        .nextExecution(ZonedDateTime.ofInstant(after, ZoneOffset.UTC))
        .map(ZonedDateTime::toInstant);
  }
}
