package io.pgtrickle.worker.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;

/**
 * A stream table's schedule as pg_trickle writes it in {@code pgt_stream_tables.schedule}:
 *
 * <ul>
 *   <li>a duration, units {@code s m h d w}, compounded ({@code '5s'}, {@code '1h30m'}): due when
 *       that long has passed since the data timestamp;
 *   <li>cron, 5 fields ({@code 'min hour dom month dow'}), 6 fields (seconds first) or {@code
 *       @hourly @daily @midnight @weekly @monthly @yearly @annually}, evaluated in UTC: due when a
 *       firing time passed since the data timestamp;
 *   <li>{@code NULL} or {@code 'calculated'}: taken from the stream tables that read this one
 *       ({@link DuePlanner}).
 * </ul>
 */
public sealed interface Schedule {

  /** A fixed staleness bound. */
  record Every(Duration interval) implements Schedule {}

  /** Cron firing times. */
  record Cron(String text, ExecutionTime times) implements Schedule {
    @Override
    public String toString() {
      return "Cron[" + text + "]";
    }
  }

  /** Inherited from dependents. */
  record Calculated() implements Schedule {}

  /**
   * Whether a stream table last refreshed at {@code last} is due at {@code now} by this schedule.
   *
   * @param last the data timestamp, or {@code null} if never refreshed
   * @param now the current time
   * @return true if due; always false for {@link Calculated}, which the planner resolves
   */
  default boolean isDue(Instant last, Instant now) {
    if (this instanceof Calculated) {
      return false;
    }
    if (last == null) {
      return true;
    }
    if (this instanceof Every every) {
      return !now.isBefore(last.plus(every.interval()));
    }
    Optional<ZonedDateTime> fired =
        ((Cron) this).times().lastExecution(now.atZone(ZoneOffset.UTC).plusNanos(1));
    return fired.isPresent() && fired.get().toInstant().isAfter(last);
  }

  /**
   * Parses a schedule.
   *
   * @param text the catalog value; {@code null} means calculated
   * @return the schedule
   * @throws IllegalArgumentException naming the problem if it is neither form
   */
  static Schedule parse(String text) {
    if (text == null || text.trim().equalsIgnoreCase("calculated")) {
      return new Calculated();
    }
    String t = text.trim();
    Duration d = parseDuration(t);
    if (d != null) {
      if (d.isZero()) {
        throw new IllegalArgumentException("schedule '" + text + "' is zero");
      }
      return new Every(d);
    }
    String cron = ScheduleSyntax.CRON_ALIASES.getOrDefault(t.toLowerCase(Locale.ROOT), t);
    int fields = cron.split("\\s+").length;
    CronType type =
        switch (fields) {
          case 5 -> CronType.UNIX;
          case 6 -> CronType.SPRING53;
          default ->
              throw new IllegalArgumentException(
                  "schedule '"
                      + text
                      + "' is neither a duration ('5s', '1h30m'), cron (5 or 6 fields, @hourly...)"
                      + " nor 'calculated'");
        };
    try {
      var parsed = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(cron);
      parsed.validate();
      return new Cron(t, ExecutionTime.forCron(parsed));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "schedule '" + text + "' is not valid cron: " + e.getMessage(), e);
    }
  }

  /**
   * Parses a compound duration such as {@code 5s}, {@code 1h30m} or {@code 2w}.
   *
   * @param text the text
   * @return the duration, or {@code null} if the text is not of that form
   */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.isEmpty()) {
      return null;
    }
    Matcher m = ScheduleSyntax.DURATION_PART.matcher(t);
    Duration total = Duration.ZERO;
    int at = 0;
    while (m.find() && m.start() == at) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
              });
      at = m.end();
    }
    return at == t.length() ? total : null;
  }
}
