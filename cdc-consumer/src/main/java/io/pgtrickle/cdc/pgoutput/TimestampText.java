package io.pgtrickle.cdc.pgoutput;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ISO-8601 strings from PostgreSQL's timestamp output in DateStyle ISO (which PgJDBC always sets).
 * Values ISO-8601 cannot write plainly (infinity, BC dates, years past 9999) stay as PostgreSQL
 * printed them.
 */
final class TimestampText {

  private static final Pattern LOCAL =
      Pattern.compile("(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?)");
  private static final Pattern WITH_OFFSET =
      Pattern.compile(LOCAL.pattern() + "([+-]\\d\\d(?::\\d\\d){0,2})");

  private TimestampText() {}

  /** {@code 2026-05-30 12:00:00.5} becomes {@code 2026-05-30T12:00:00.5}. */
  static String localIso(String text) {
    Matcher m = LOCAL.matcher(text);
    return m.matches() ? m.group(1) + "T" + m.group(2) : text;
  }

  /**
   * {@code 2026-05-30 14:00:00.5+02} becomes {@code 2026-05-30T12:00:00.500Z}: the same instant in
   * UTC, so the session time zone of the replication connection never shows in the events.
   */
  static String utcIso(String text) {
    Matcher m = WITH_OFFSET.matcher(text);
    if (!m.matches()) {
      return text;
    }
    LocalDateTime local = LocalDateTime.parse(m.group(1) + "T" + m.group(2));
    return local.toInstant(ZoneOffset.of(m.group(3))).toString();
  }
}
