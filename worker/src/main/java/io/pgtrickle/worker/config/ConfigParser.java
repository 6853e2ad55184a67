package io.pgtrickle.worker.config;

import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.program.config.LogLevel;
import io.pgtrickle.program.config.SettingValues;
import io.pgtrickle.telemetry.OtlpSettings;
import io.pgtrickle.worker.schedule.Schedule;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
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

  /**
   * Every setting and its default (null: required, "": none); the flag is the name in lower case
   * with dashes, the variable PGTRICKLE_ and the name.
   */
  enum Setting implements io.pgtrickle.program.config.Setting {
    DATABASE_URL(null),
    DATABASE_USER("postgres"),
    DATABASE_PASSWORD(""),
    CHANGELOG_URI(null),
    HTTP_PORT("8080"),
    HTTP_ADDRESS(""),
    WORKER_ID(""),
    MAX_PARALLEL_REFRESHES("2"),
    LEASE_MS("15000"),
    SCHEDULER_INTERVAL_MS("100"),
    INGEST_INTERVAL_MS("200"),
    REFRESH_WAIT_MS("30000"),
    DRAIN_TIMEOUT_MS("25000"),
    MAX_CONSECUTIVE_ERRORS("3"),
    DEFAULT_SCHEDULE("1m"),
    BUFFER_CLEANUP_MS("5000"),
    STUCK_AFTER_MS("120000"),
    HISTORY_RETENTION("7d"),
    HISTORY_MAX_ROWS("10000"),
    HISTORY_CLEANUP_MS("60000");

    private final String defaultValue;

    Setting(String defaultValue) {
      this.defaultValue = defaultValue;
    }

    @Override
    public String defaultValue() {
      return defaultValue;
    }
  }

  private static final Pattern WORKER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  private final SettingValues<Setting> values;
  private final Map<String, String> env;

  private ConfigParser(SettingValues<Setting> values, Map<String, String> env) {
    this.values = values;
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
    return new ConfigParser(SettingValues.read(Setting.class, env, args, ConfigException::new), env)
        .build();
  }

  /**
   * Lists the settings for {@code --help}.
   *
   * @return one line per setting
   */
  public static String usage() {
    return SettingValues.usage(Setting.class);
  }

  /**
   * {@code PGTRICKLE_*} variables in {@code env} that are none of this program's settings (a typo
   * leaves the default in force): logged as warnings at start, see {@link
   * SettingValues#unknownVariables}.
   *
   * @param env the environment
   * @return one message per variable
   */
  public static List<String> unknownVariables(Map<String, String> env) {
    return SettingValues.unknownVariables(Setting.class, env, "the worker");
  }

  private WorkerConfig build() {
    LogLevel.check(env, ConfigException::new);
    String url = values.get(Setting.DATABASE_URL);
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new ConfigException(
          Setting.DATABASE_URL.label()
              + " must be a jdbc:postgresql://host:port/database URL, got '"
              + WorkerConfig.redactUrl(url)
              + "'");
    }
    Duration lease = Duration.ofMillis(values.number(Setting.LEASE_MS, 1_000, 600_000));
    return new WorkerConfig(
        url,
        values.get(Setting.DATABASE_USER),
        emptyToNull(values.get(Setting.DATABASE_PASSWORD)),
        changeLogUri(),
        (int) values.number(Setting.HTTP_PORT, 0, 65535),
        workerId(),
        (int) values.number(Setting.MAX_PARALLEL_REFRESHES, 1, 64),
        lease,
        Duration.ofMillis(values.number(Setting.SCHEDULER_INTERVAL_MS, 10, 60_000)),
        Duration.ofMillis(values.number(Setting.INGEST_INTERVAL_MS, 1, 60_000)),
        Duration.ofMillis(values.number(Setting.REFRESH_WAIT_MS, 100, 3_600_000)),
        Duration.ofMillis(values.number(Setting.DRAIN_TIMEOUT_MS, 0, 3_600_000)),
        (int) values.number(Setting.MAX_CONSECUTIVE_ERRORS, 1, 1_000),
        defaultSchedule(),
        Duration.ofMillis(values.number(Setting.BUFFER_CLEANUP_MS, 100, 3_600_000)),
        Duration.ofMillis(values.number(Setting.STUCK_AFTER_MS, 1_000, 86_400_000)),
        httpAddress(),
        historyRetention(),
        values.number(Setting.HISTORY_MAX_ROWS, 0, 1_000_000_000),
        Duration.ofMillis(values.number(Setting.HISTORY_CLEANUP_MS, 1_000, 86_400_000)),
        otlp());
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
    String value = values.get(Setting.HTTP_ADDRESS);
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
    String uri = values.get(Setting.CHANGELOG_URI);
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
    String withDefaults =
        extra.length() == 0 ? uri : uri.contains("?") ? uri + extra : uri + "?" + extra;
    // A PostgreSQL change log without credentials gets the database's, percent-encoded: any
    // character of the password works (the operator's URIs carry none).
    return ChangeLogConfig.withCredentials(
        withDefaults, values.get(Setting.DATABASE_USER), values.get(Setting.DATABASE_PASSWORD));
  }

  /**
   * The worker id: given, or the host name ({@code HOSTNAME}) plus a random suffix, so that two
   * processes on one host never share an id and so a lease. The operator gives the pod name: the
   * kubelet starts a pod's container again only after the previous one exited, so a restarted
   * worker may take over its predecessor's lease at once instead of waiting for it to expire.
   */
  private String workerId() {
    String id = values.get(Setting.WORKER_ID);
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
    String value = values.get(Setting.DEFAULT_SCHEDULE);
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
    String value = values.get(Setting.HISTORY_RETENTION);
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

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }
}
