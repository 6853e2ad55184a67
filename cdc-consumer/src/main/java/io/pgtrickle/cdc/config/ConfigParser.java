package io.pgtrickle.cdc.config;

import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.program.config.LogLevel;
import io.pgtrickle.program.config.SettingValues;
import io.pgtrickle.telemetry.OtlpSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  /**
   * Every setting and its default (null: required, "": none); the flag is the name in lower case
   * with dashes, the variable PGTRICKLE_ and the name.
   */
  enum Setting implements io.pgtrickle.program.config.Setting {
    SOURCE_URL(null),
    SOURCE_USER("postgres"),
    SOURCE_PASSWORD(""),
    TABLES(""),
    PUBLICATION(""),
    SLOT(""),
    SLOT_PREFIX("pgtrickle_cdc_"),
    ORDINAL(""),
    CHANGELOG_URI(null),
    HTTP_PORT("8080"),
    HTTP_ADDRESS(""),
    MAX_LAG_BYTES("1073741824"),
    STATUS_INTERVAL_MS("1000"),
    MAX_BATCH_EVENTS("5000"),
    RECONNECT_MIN_MS("200"),
    RECONNECT_MAX_MS("5000"),
    FAILOVER_SLOT("true"),
    DROP_STANDBY_SLOT_COPIES("false"),
    SOURCE_MEMBERS(""),
    CATALOG("true"),
    CATALOG_POLL_MS("1000"),
    REPLICAS("1"),
    STUCK_TIMEOUT_MS("60000"),
    ASYNC_STANDBY_HOLD_MS("5000"),
    SILENCE_LIMIT_MS("30000");

    private final String defaultValue;

    Setting(String defaultValue) {
      this.defaultValue = defaultValue;
    }

    @Override
    public String defaultValue() {
      return defaultValue;
    }

    @Override
    public String usageDefault() {
      return this == PUBLICATION
          ? "default: the slot's name"
          : io.pgtrickle.program.config.Setting.super.usageDefault();
    }
  }

  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final Pattern TABLE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.\\-]*[A-Za-z0-9])?");
  private static final Pattern POD_ORDINAL = Pattern.compile(".*-(\\d+)");

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
  public static CdcConfig parse(Map<String, String> env, List<String> args) {
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
    return SettingValues.unknownVariables(Setting.class, env, "the cdc-consumer");
  }

  private CdcConfig build() {
    LogLevel.check(env, ConfigException::new);
    String url = values.get(Setting.SOURCE_URL);
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new ConfigException(
          Setting.SOURCE_URL.label()
              + " must be a jdbc:postgresql://host:port/database URL, got '"
              + CdcConfig.redactUrl(url)
              + "'");
    }
    boolean catalog = values.bool(Setting.CATALOG);
    List<String> tables = tables(catalog);
    int replicas = (int) values.number(Setting.REPLICAS, 1, 10_000);
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
    long reconnectMin = values.number(Setting.RECONNECT_MIN_MS, 1, 600_000);
    long reconnectMax = values.number(Setting.RECONNECT_MAX_MS, 1, 3_600_000);
    if (reconnectMax < reconnectMin) {
      // Backoff would silently use the minimum as the maximum.
      throw new ConfigException(
          Setting.RECONNECT_MAX_MS.label()
              + " ("
              + reconnectMax
              + ") must be at least "
              + Setting.RECONNECT_MIN_MS.label()
              + " ("
              + reconnectMin
              + ")");
    }
    String publication = values.get(Setting.PUBLICATION);
    return new CdcConfig(
        url,
        values.get(Setting.SOURCE_USER),
        emptyToNull(values.get(Setting.SOURCE_PASSWORD)),
        tables,
        publication.isEmpty() ? slot : identifier(Setting.PUBLICATION, publication),
        slot,
        changeLogUri(),
        (int) values.number(Setting.HTTP_PORT, 0, 65535),
        values.number(Setting.MAX_LAG_BYTES, 1, Long.MAX_VALUE),
        Duration.ofMillis(values.number(Setting.STATUS_INTERVAL_MS, 10, 60_000)),
        (int) values.number(Setting.MAX_BATCH_EVENTS, 1, 1_000_000),
        Duration.ofMillis(reconnectMin),
        Duration.ofMillis(reconnectMax),
        values.bool(Setting.FAILOVER_SLOT),
        values.bool(Setting.DROP_STANDBY_SLOT_COPIES),
        hostName(Setting.SOURCE_MEMBERS),
        catalog,
        Duration.ofMillis(values.number(Setting.CATALOG_POLL_MS, 50, 600_000)),
        ordinal,
        replicas,
        Duration.ofMillis(values.number(Setting.STUCK_TIMEOUT_MS, 1000, 86_400_000)),
        Duration.ofMillis(values.number(Setting.ASYNC_STANDBY_HOLD_MS, 0, 60_000)),
        Duration.ofMillis(values.number(Setting.SILENCE_LIMIT_MS, 5_000, 3_600_000)),
        hostName(Setting.HTTP_ADDRESS),
        otlp());
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
    String value = values.get(setting);
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
    for (String t : values.get(Setting.TABLES).split(",")) {
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
    String ordinal = values.get(Setting.ORDINAL);
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
    String explicit = values.get(Setting.SLOT);
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
    return identifier(Setting.SLOT_PREFIX, values.get(Setting.SLOT_PREFIX) + ordinal);
  }

  private String changeLogUri() {
    String uri = values.get(Setting.CHANGELOG_URI);
    if (!uri.matches("[a-z]+:.*")) {
      throw new ConfigException(
          Setting.CHANGELOG_URI.label()
              + " must be a change-log URI (postgresql://, file://, nats:// or kafka://), got '"
              + CdcConfig.redactUrl(uri)
              + "'");
    }
    // A PostgreSQL change log without credentials gets the source's, percent-encoded: any
    // character of the password works (the operator's URIs carry none).
    return ChangeLogConfig.withCredentials(
        uri, values.get(Setting.SOURCE_USER), values.get(Setting.SOURCE_PASSWORD));
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

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }
}
