package io.pgtrickle.operator.bench;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a pgBackRest backup's time went, from its console log at {@code --log-level-console=detail}
 * (timestamps to the millisecond): seconds from {@code backup command begin} to {@code backup start
 * archive} (the start checkpoint and {@code pg_backup_start}), then to {@code execute non-exclusive
 * backup stop} (the check that the segment before the start is archived, the wait for the next
 * whole second, the copy of every file), then to {@code new backup label} ({@code pg_backup_stop}
 * and the wait until the stop segment is in the archive), then to {@code backup command end}
 * (manifest and backup.info written), and the {@code expire} command pgBackRest runs after a backup
 * ({@code expire-auto}). {@code files} counts the {@code backup file} lines. A phase whose marker
 * lines are missing is -1.
 */
record BackupPhases(
    double start, double copy, double stop, double finish, double expire, double total, int files) {

  private static final Pattern LINE =
      Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) P\\d+ +\\w+: (.*)$");
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT);

  /** Parses the console log {@code log} (stdout of a pgbackrest backup); never throws. */
  static BackupPhases parse(String log) {
    LocalDateTime begin = null;
    LocalDateTime started = null;
    LocalDateTime stopping = null;
    LocalDateTime label = null;
    LocalDateTime end = null;
    LocalDateTime expireBegin = null;
    LocalDateTime expireEnd = null;
    int files = 0;
    for (String line : log.split("\n")) {
      Matcher m = LINE.matcher(line.strip());
      if (!m.matches()) {
        continue;
      }
      LocalDateTime at = LocalDateTime.parse(m.group(1), TIME);
      String text = m.group(2);
      if (text.startsWith("backup command begin")) {
        begin = at;
      } else if (text.startsWith("backup start archive =")) {
        started = at;
      } else if (text.startsWith("backup file ")) {
        files++;
      } else if (text.startsWith("execute non-exclusive backup stop")) {
        stopping = at;
      } else if (text.startsWith("new backup label")) {
        label = at;
      } else if (text.startsWith("backup command end")) {
        end = at;
      } else if (text.startsWith("expire command begin")) {
        expireBegin = at;
      } else if (text.startsWith("expire command end")) {
        expireEnd = at;
      }
    }
    LocalDateTime last = expireEnd != null ? expireEnd : end;
    return new BackupPhases(
        seconds(begin, started),
        seconds(started, stopping),
        seconds(stopping, label),
        seconds(label, end),
        seconds(expireBegin, expireEnd),
        seconds(begin, last),
        files);
  }

  private static double seconds(LocalDateTime from, LocalDateTime to) {
    if (from == null || to == null) {
      return -1;
    }
    return from.until(to, ChronoUnit.MILLIS) / 1000.0;
  }

  /**
   * One line: each phase in seconds, and {@code wallSeconds} minus pgBackRest's own total (process
   * start and the exec API).
   */
  String describe(double wallSeconds) {
    return String.format(
        Locale.ROOT,
        "start %.2f s, copy %.2f s (%d files), stop + archive wait %.2f s, manifest %.2f s,"
            + " %s; pgBackRest %.2f s, outside it %.2f s",
        start,
        copy,
        files,
        stop,
        finish,
        expire < 0 ? "no expire" : String.format(Locale.ROOT, "expire %.2f s", expire),
        total,
        total < 0 ? -1 : wallSeconds - total);
  }
}
