package io.pgtrickle.worker.config;

import io.pgtrickle.telemetry.OtlpSettings;
import io.pgtrickle.worker.schedule.Schedule;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads {@link WorkerConfig} from environment variables ({@code PGTRICKLE_...}) and flags ({@code
 * --name=value} or {@code --name value}); a flag wins over its variable. Every problem is reported
 * with both spellings of the setting, e.g. {@code PGTRICKLE_HTTP_PORT (--http-port): ...}.
 */
public final class ConfigParser {

  /** The change-log consumer name of the workers' ingest, unless the URI names another. */
  public static final String CONSUMER_NAME = "pgtrickle-worker";

  /** Every setting: flag name, default (null: required, "": none). */
  enum Setting {
    DATABASE_URL("database-url", null),
    DATABASE_USER("database-user", "postgres"),
    DATABASE_PASSWORD("database-password", ""),
    CHANGELOG_URI("changelog-uri", null),
    HTTP_PORT("http-port", "8080"),
    HTTP_ADDRESS("http-address", ""),
    WORKER_ID("worker-id", ""),
    MAX_PARALLEL_REFRESHES("max-parallel-refreshes", "2"),
    LEASE_MS("lease-ms", "15000"),
    SCHEDULER_INTERVAL_MS("scheduler-interval-ms", "100"),
    INGEST_INTERVAL_MS("ingest-interval-ms", "200"),
    REFRESH_WAIT_MS("refresh-wait-ms", "30000"),
    DRAIN_TIMEOUT_MS("drain-timeout-ms", "25000"),
    MAX_CONSECUTIVE_ERRORS("max-consecutive-errors", "3"),
    DEFAULT_SCHEDULE("default-schedule", "1m"),
    BUFFER_CLEANUP_MS("buffer-cleanup-ms", "5000"),
    STUCK_AFTER_MS("stuck-after-ms", "120000"),
    HISTORY_RETENTION("history-retention", "7d"),
    HISTORY_MAX_ROWS("history-max-rows", "10000"),
    HISTORY_CLEANUP_MS("history-cleanup-ms", "60000");

    final String flag;
    final String defaultValue;

    Setting(String flag, String defaultValue) {
      this.flag = flag;
      this.defaultValue = defaultValue;
    }

    String env() {
      return "PGTRICKLE_" + name();
    }

    String label() {
      return env() + " (--" + flag + ")";
    }
  }

  /** The level of every logger, read by logback.xml (not by this parser): no flag. */
  static final String LOG_LEVEL = "PGTRICKLE_LOG_LEVEL";

  /** The logback levels {@link #LOG_LEVEL} may name, in any case. */
  static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  private static final Pattern WORKER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  private final Map<Setting, String> values = new HashMap<>();
  private final Map<String, String> env;

  private ConfigParser(Map<String, String> env) {
    this.env = env;
  }

  /**
   * Parses the configuration.
   *
   * @param env the environment ({@link System#getenv()})
   * @param args the flags, without the subcommand
   * @return the validated configuration
   * @throws ConfigException naming the first bad or missing setting
   */
  public static WorkerConfig parse(Map<String, String> env, List<String> args) {
    ConfigParser p = new ConfigParser(env);
    p.readFlags(args);
    return p.build();
  }

  /**
   * Lists the settings for {@code --help}.
   *
   * @return one line per setting
   */
  public static String usage() {
    StringBuilder sb = new StringBuilder();
    for (Setting s : Setting.values()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  --%-24s %-34s %s%n",
              s.flag,
              s.env(),
              s.defaultValue == null
                  ? "(required)"
                  : "default: " + (s.defaultValue.isEmpty() ? "none" : s.defaultValue)));
    }
    return sb.toString();
  }

  private void readFlags(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw new ConfigException("unexpected argument '" + arg + "' (flags are --name=value)");
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new ConfigException("flag --" + name + " needs a value");
      }
      values.put(byFlag(name), value);
    }
  }

  private static Setting byFlag(String flag) {
    return Arrays.stream(Setting.values())
        .filter(s -> s.flag.equals(flag))
        .findFirst()
        .orElseThrow(
            () -> new ConfigException("unknown flag --" + flag + "; settings:\n" + usage()));
  }

  private String get(Setting s) {
    String v = values.containsKey(s) ? values.get(s) : env.get(s.env());
    if (v == null || (v.isBlank() && s.defaultValue == null)) {
      if (s.defaultValue == null) {
        throw new ConfigException(s.label() + " is required");
      }
      return s.defaultValue;
    }
    return v.trim();
  }

  private WorkerConfig build() {
    checkLogLevel();
    String url = get(Setting.DATABASE_URL);
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new ConfigException(
          Setting.DATABASE_URL.label()
              + " must be a jdbc:postgresql://host:port/database URL, got '"
              + WorkerConfig.redactUrl(url)
              + "'");
    }
    Duration lease = Duration.ofMillis(number(Setting.LEASE_MS, 1_000, 600_000));
    return new WorkerConfig(
        url,
        get(Setting.DATABASE_USER),
        emptyToNull(get(Setting.DATABASE_PASSWORD)),
        changeLogUri(),
        (int) number(Setting.HTTP_PORT, 0, 65535),
        workerId(),
        (int) number(Setting.MAX_PARALLEL_REFRESHES, 1, 64),
        lease,
        Duration.ofMillis(number(Setting.SCHEDULER_INTERVAL_MS, 10, 60_000)),
        Duration.ofMillis(number(Setting.INGEST_INTERVAL_MS, 1, 60_000)),
        Duration.ofMillis(number(Setting.REFRESH_WAIT_MS, 100, 3_600_000)),
        Duration.ofMillis(number(Setting.DRAIN_TIMEOUT_MS, 0, 3_600_000)),
        (int) number(Setting.MAX_CONSECUTIVE_ERRORS, 1, 1_000),
        defaultSchedule(),
        Duration.ofMillis(number(Setting.BUFFER_CLEANUP_MS, 100, 3_600_000)),
        Duration.ofMillis(number(Setting.STUCK_AFTER_MS, 1_000, 86_400_000)),
        httpAddress(),
        historyRetention(),
        number(Setting.HISTORY_MAX_ROWS, 0, 1_000_000_000),
        Duration.ofMillis(number(Setting.HISTORY_CLEANUP_MS, 1_000, 86_400_000)),
        otlp());
  }

  /**
   * Refuses a {@link #LOG_LEVEL} that logback would not understand: it takes an unknown or empty
   * level as DEBUG without a word.
   */
  private void checkLogLevel() {
    String level = env.get(LOG_LEVEL);
    if (level != null && !LOG_LEVELS.contains(level.trim().toUpperCase(Locale.ROOT))) {
      throw new ConfigException(
          LOG_LEVEL
              + ": '"
              + level
              + "' is not a log level; use one of "
              + String.join(", ", LOG_LEVELS)
              + " (any case), or leave it unset for INFO");
    }
  }

  /** OTLP export from the standard OTEL_* variables (telemetry/README.md). */
  private Optional<OtlpSettings> otlp() {
    try {
      return OtlpSettings.fromEnvironment(env, "pg-trickle-worker");
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.\\-:]*[A-Za-z0-9])?");

  /** The address /healthz, /readyz and /metrics listen on, "" for every interface. */
  private String httpAddress() {
    String value = get(Setting.HTTP_ADDRESS);
    if (!value.isEmpty() && !HOST.matcher(value).matches()) {
      throw new ConfigException(
          Setting.HTTP_ADDRESS.label() + ": '" + value + "' is not an address or host name");
    }
    return value;
  }

  /**
   * The change-log URI with the worker's defaults: consumer {@value #CONSUMER_NAME} (every worker
   * consumes as the same name, one at a time under the ingest lease), larger batches, and {@code
   * pollMs=0}, so that finding a source drained costs one round trip instead of a wait (the ingest
   * paces itself).
   */
  private String changeLogUri() {
    String uri = get(Setting.CHANGELOG_URI);
    if (!uri.matches("[a-z]+:.*")) {
      throw new ConfigException(
          Setting.CHANGELOG_URI.label()
              + " must be a change-log URI (postgresql://, file://, nats:// or kafka://), got '"
              + WorkerConfig.redactUrl(uri)
              + "'");
    }
    if (uri.startsWith("file:")) {
      throw new ConfigException(
          Setting.CHANGELOG_URI.label()
              + ": the local WAL files backend (file://) belongs to one process, the"
              + " cdc-consumer's; the workers need postgresql://, nats:// or kafka://");
    }
    String query = uri.contains("?") ? uri.substring(uri.indexOf('?') + 1) : "";
    StringBuilder extra = new StringBuilder();
    for (String[] d :
        new String[][] {{"consumer", CONSUMER_NAME}, {"batch", "5000"}, {"pollMs", "0"}}) {
      if (!Pattern.compile("(^|&)" + d[0] + "=").matcher(query).find()) {
        extra.append(extra.length() == 0 && query.isEmpty() ? "" : "&");
        extra.append(d[0]).append('=').append(d[1]);
      }
    }
    if (extra.length() == 0) {
      return uri;
    }
    return uri.contains("?") ? uri + extra : uri + "?" + extra;
  }

  /**
   * The worker id: given, or the pod name ({@code HOSTNAME}) plus a random suffix, so that a
   * restarted container never mistakes its predecessor's lease for its own.
   */
  private String workerId() {
    String id = get(Setting.WORKER_ID);
    if (id.isEmpty()) {
      byte[] random = new byte[3];
      new SecureRandom().nextBytes(random);
      String host = env.getOrDefault("HOSTNAME", "");
      host = host.replaceAll("[^A-Za-z0-9._-]", "");
      host = host.isEmpty() ? "worker" : host.substring(0, Math.min(host.length(), 50));
      return host + "-" + HexFormat.of().formatHex(random);
    }
    if (!WORKER_ID.matcher(id).matches()) {
      throw new ConfigException(
          Setting.WORKER_ID.label()
              + ": '"
              + id
              + "' must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit");
    }
    return id;
  }

  private Duration defaultSchedule() {
    String value = get(Setting.DEFAULT_SCHEDULE);
    Duration d = Schedule.parseDuration(value);
    if (d == null || d.isZero()) {
      throw new ConfigException(
          Setting.DEFAULT_SCHEDULE.label()
              + " must be a duration such as '30s', '1m' or '1h30m', got '"
              + value
              + "'");
    }
    return d;
  }

  /** How long refresh-history rows are kept: a duration, or 0 / 'forever' for no age limit. */
  private Duration historyRetention() {
    String value = get(Setting.HISTORY_RETENTION);
    if (value.equals("0") || value.equalsIgnoreCase("forever")) {
      return Duration.ZERO;
    }
    Duration d = Schedule.parseDuration(value);
    if (d == null || d.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new ConfigException(
          Setting.HISTORY_RETENTION.label()
              + " must be a duration of at least 1m such as '7d' or '12h', or 0 (or 'forever') to"
              + " keep every row, got '"
              + value
              + "'");
    }
    return d;
  }

  private long number(Setting s, long min, long max) {
    String v = get(s);
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new ConfigException(s.label() + " must be a whole number, got '" + v + "'");
    }
    if (n < min || n > max) {
      throw new ConfigException(
          s.label() + " must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }
}
