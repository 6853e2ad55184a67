package io.pgtrickle.operator.backup;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
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
    BackupSchedule parsed;
    try {
      parsed = new BackupSchedule(ExecutionTime.forCron(PARSER.parse(fields).validate()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "spec.schedule \"" + schedule + "\" is not a valid cron expression: " + e.getMessage(),
          e);
    }
    // A day no month has (30 2, 31 4): valid cron that never fires, which the status showed as
    // "next backup at null" while the backup said it was Scheduled. Eight years hold every date
    // a cron can name, 29 February included.
    Instant from = Instant.parse("2024-01-01T00:00:00Z");
    if (parsed.next(from).filter(n -> n.isBefore(from.plus(Duration.ofDays(8 * 366)))).isEmpty()) {
      throw new IllegalArgumentException(
          "spec.schedule \"" + schedule + "\" never fires: no date matches its day and month");
    }
    return parsed;
  }

  /** The first run strictly after {@code after}. */
  public Optional<Instant> next(Instant after) {
    return execution
        .nextExecution(ZonedDateTime.ofInstant(after, ZoneOffset.UTC))
        .map(ZonedDateTime::toInstant);
  }
}
