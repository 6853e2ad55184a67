package io.pgtrickle.cdc.config;

import io.pgtrickle.telemetry.OtlpSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@link CdcConfig} from environment variables ({@code PGTRICKLE_...}) and flags ({@code
 * --name=value} or {@code --name value}); a flag wins over its variable. Every problem is reported
 * with both spellings of the setting, e.g. {@code PGTRICKLE_TABLES (--tables): ...}.
 */
public final class ConfigParser {

  /** Every setting: flag name, environment variable, default (null: required). */
  enum Setting {
    SOURCE_URL("source-url", null),
    SOURCE_USER("source-user", "postgres"),
    SOURCE_PASSWORD("source-password", ""),
    TABLES("tables", ""),
    PUBLICATION("publication", ""),
    SLOT("slot", ""),
    SLOT_PREFIX("slot-prefix", "pgtrickle_cdc_"),
    ORDINAL("ordinal", ""),
    CHANGELOG_URI("changelog-uri", null),
    HTTP_PORT("http-port", "8080"),
    HTTP_ADDRESS("http-address", ""),
    MAX_LAG_BYTES("max-lag-bytes", "1073741824"),
    STATUS_INTERVAL_MS("status-interval-ms", "1000"),
    MAX_BATCH_EVENTS("max-batch-events", "5000"),
    RECONNECT_MIN_MS("reconnect-min-ms", "200"),
    RECONNECT_MAX_MS("reconnect-max-ms", "30000"),
    FAILOVER_SLOT("failover-slot", "true"),
    SOURCE_MEMBERS("source-members", ""),
    CATALOG("catalog", "true"),
    CATALOG_POLL_MS("catalog-poll-ms", "1000"),
    REPLICAS("replicas", "1"),
    STUCK_TIMEOUT_MS("stuck-timeout-ms", "60000");

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

  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final Pattern TABLE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.\\-]*[A-Za-z0-9])?");
  private static final Pattern POD_ORDINAL = Pattern.compile(".*-(\\d+)");

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
  public static CdcConfig parse(Map<String, String> env, List<String> args) {
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
              "  --%-20s %-30s %s%n",
              s.flag,
              s.env(),
              s.defaultValue == null
                  ? "(required)"
                  : s == Setting.PUBLICATION
                      ? "default: the slot's name"
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

  private CdcConfig build() {
    checkLogLevel();
    String url = get(Setting.SOURCE_URL);
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new ConfigException(
          Setting.SOURCE_URL.label()
              + " must be a jdbc:postgresql://host:port/database URL, got '"
              + CdcConfig.redactUrl(url)
              + "'");
    }
    boolean catalog = bool(Setting.CATALOG);
    List<String> tables = tables(catalog);
    int replicas = (int) number(Setting.REPLICAS, 1, 10_000);
    Integer ordinal = ordinal();
    String slot = slot(ordinal);
    if (ordinal == null) {
      if (catalog && replicas > 1) {
        throw new ConfigException(
            Setting.ORDINAL.label()
                + " is required with "
                + Setting.REPLICAS.label()
                + " = "
                + replicas
                + ": it says which catalog rows this consumer claims (give it, or run as a"
                + " StatefulSet pod whose HOSTNAME ends in -<ordinal>)");
      }
      ordinal = 0;
    }
    if (catalog && ordinal >= replicas && tables.isEmpty()) {
      // It would claim no catalog row, ever, and has no --tables: it could capture nothing.
      throw new ConfigException(
          Setting.ORDINAL.label()
              + " must be below "
              + Setting.REPLICAS.label()
              + " ("
              + replicas
              + "), got "
              + ordinal
              + ": set PGTRICKLE_REPLICAS to the StatefulSet's replicas");
    }
    String publication = get(Setting.PUBLICATION);
    return new CdcConfig(
        url,
        get(Setting.SOURCE_USER),
        emptyToNull(get(Setting.SOURCE_PASSWORD)),
        tables,
        publication.isEmpty() ? slot : identifier(Setting.PUBLICATION, publication),
        slot,
        changeLogUri(),
        (int) number(Setting.HTTP_PORT, 0, 65535),
        number(Setting.MAX_LAG_BYTES, 1, Long.MAX_VALUE),
        Duration.ofMillis(number(Setting.STATUS_INTERVAL_MS, 10, 60_000)),
        (int) number(Setting.MAX_BATCH_EVENTS, 1, 1_000_000),
        Duration.ofMillis(number(Setting.RECONNECT_MIN_MS, 1, 600_000)),
        Duration.ofMillis(number(Setting.RECONNECT_MAX_MS, 1, 3_600_000)),
        bool(Setting.FAILOVER_SLOT),
        hostName(Setting.SOURCE_MEMBERS),
        catalog,
        Duration.ofMillis(number(Setting.CATALOG_POLL_MS, 50, 600_000)),
        ordinal,
        replicas,
        Duration.ofMillis(number(Setting.STUCK_TIMEOUT_MS, 1000, 86_400_000)),
        hostName(Setting.HTTP_ADDRESS),
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
      return OtlpSettings.fromEnvironment(env, "pg-trickle-cdc-consumer");
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** A DNS name or address, or "" when not given. */
  private String hostName(Setting setting) {
    String value = get(setting);
    if (!value.isEmpty() && !HOST.matcher(value).matches()) {
      throw new ConfigException(
          setting.label()
              + ": '"
              + value
              + "' is not a host name (a DNS name such as NAME-pods.NAMESPACE.svc, or an address;"
              + " no scheme, no port)");
    }
    return value;
  }

  private List<String> tables(boolean catalog) {
    List<String> out = new ArrayList<>();
    for (String t : get(Setting.TABLES).split(",")) {
      String table = t.trim();
      if (table.isEmpty()) {
        continue;
      }
      if (!TABLE.matcher(table).matches()) {
        throw new ConfigException(
            Setting.TABLES.label()
                + ": '"
                + table
                + "' is not a table name of the form schema.table (unquoted identifiers)");
      }
      out.add(table.contains(".") ? table : "public." + table);
    }
    if (out.isEmpty() && !catalog) {
      throw new ConfigException(
          Setting.TABLES.label()
              + " must name at least one table when "
              + Setting.CATALOG.label()
              + " is false");
    }
    return List.copyOf(out);
  }

  /**
   * The ordinal: {@code --ordinal}, or the StatefulSet pod name in {@code HOSTNAME} ({@code name-3}
   * gives 3); {@code null} if neither says.
   */
  private Integer ordinal() {
    String ordinal = get(Setting.ORDINAL);
    if (ordinal.isEmpty()) {
      Matcher m = POD_ORDINAL.matcher(env.getOrDefault("HOSTNAME", ""));
      return m.matches() && m.group(1).length() <= 6 ? Integer.valueOf(m.group(1)) : null;
    }
    if (!ordinal.matches("\\d{1,6}")) {
      throw new ConfigException(
          Setting.ORDINAL.label() + " must be a number, got '" + ordinal + "'");
    }
    return Integer.valueOf(ordinal);
  }

  /**
   * The slot: {@code --slot}, or the prefix plus the ordinal. A stable name is what lets a
   * restarted pod find its slot and resume where it confirmed.
   */
  private String slot(Integer ordinal) {
    String explicit = get(Setting.SLOT);
    if (!explicit.isEmpty()) {
      return identifier(Setting.SLOT, explicit);
    }
    if (ordinal == null) {
      throw new ConfigException(
          Setting.SLOT.label()
              + " or "
              + Setting.ORDINAL.label()
              + " is required when HOSTNAME ('"
              + env.getOrDefault("HOSTNAME", "")
              + "') is not a StatefulSet pod name ending in -<ordinal>");
    }
    return identifier(Setting.SLOT_PREFIX, get(Setting.SLOT_PREFIX) + ordinal);
  }

  private String changeLogUri() {
    String uri = get(Setting.CHANGELOG_URI);
    if (!uri.matches("[a-z]+:.*")) {
      throw new ConfigException(
          Setting.CHANGELOG_URI.label()
              + " must be a change-log URI (postgresql://, file://, nats:// or kafka://), got '"
              + CdcConfig.redactUrl(uri)
              + "'");
    }
    return uri;
  }

  private static String identifier(Setting s, String value) {
    if (!IDENTIFIER.matcher(value).matches()) {
      throw new ConfigException(
          s.label()
              + ": '"
              + value
              + "' is not a valid name (lower-case letters, digits and _, at most 63)");
    }
    return value;
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

  private boolean bool(Setting s) {
    String v = get(s).toLowerCase(Locale.ROOT);
    return switch (v) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new ConfigException(s.label() + " must be true or false, got '" + v + "'");
    };
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }
}
