package io.pgtrickle.adapter.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads {@link AdapterConfig} from environment variables ({@code PGTRICKLE_...}) and flags ({@code
 * --name=value}); a flag wins over its variable. Every problem names both spellings of the setting,
 * e.g. {@code PGTRICKLE_SECURE_PORT (--secure-port): 'x' is not a port (1-65535)}.
 */
public final class ConfigParser {

  /** Every setting: flag name, default (null: required, "": none). */
  enum Setting {
    BIND_ADDRESS("bind-address", "0.0.0.0"),
    SECURE_PORT("secure-port", "6443"),
    HTTP_PORT("http-port", "8080"),
    TLS_CERT_FILE("tls-cert-file", ""),
    TLS_KEY_FILE("tls-key-file", ""),
    TLS_SECRET("tls-secret", "pg-trickle-metrics-adapter-tls"),
    NAMESPACE("namespace", null),
    SERVICE_NAME("service-name", "pg-trickle-metrics-adapter"),
    APISERVICES("apiservices", "v1beta2.custom.metrics.k8s.io,v1beta1.custom.metrics.k8s.io"),
    CACHE_MS("cache-ms", "1000"),
    SCRAPE_TIMEOUT_MS("scrape-timeout-ms", "1000"),
    AUTHORIZATION_CACHE_MS("authorization-cache-ms", "10000");

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

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  /**
   * {@code PGTRICKLE_CATALOG_METRICS} ({@code --catalog-metrics}) let the adapter read the
   * pipelines' databases with their Secrets; the workers export that metric now. Refused rather
   * than ignored, so that nobody believes it still does something.
   */
  static final String REMOVED_CATALOG_METRICS =
      "PGTRICKLE_CATALOG_METRICS (--catalog-metrics) was removed: pg_trickle_stream_table_lag_ms"
          + " now comes from the workers' /metrics and the adapter reads no database and no"
          + " Secret but its own; remove the setting";

  private final Map<Setting, String> values = new EnumMap<>(Setting.class);

  private ConfigParser() {}

  /**
   * Parses the configuration.
   *
   * @param env the environment ({@link System#getenv()}); {@code POD_NAMESPACE} (downward API)
   *     stands in for {@code PGTRICKLE_NAMESPACE}
   * @param args the flags
   * @return the validated configuration
   * @throws ConfigException naming the first bad or missing setting
   */
  public static AdapterConfig parse(Map<String, String> env, List<String> args) {
    ConfigParser p = new ConfigParser();
    if (env.containsKey("PGTRICKLE_CATALOG_METRICS")) {
      throw new ConfigException(REMOVED_CATALOG_METRICS);
    }
    checkLogLevel(env);
    for (Setting s : Setting.values()) {
      String v = env.get(s.env());
      if (v == null && s == Setting.NAMESPACE) {
        v = env.get("POD_NAMESPACE");
      }
      if (v != null) {
        p.values.put(s, v);
      }
    }
    p.readFlags(args);
    return p.build();
  }

  /**
   * Lists the settings for {@code help}.
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
    for (String arg : args) {
      if (!arg.startsWith("--") || arg.indexOf('=') < 0) {
        throw new ConfigException("unexpected argument '" + arg + "' (flags are --name=value)");
      }
      String name = arg.substring(2, arg.indexOf('='));
      Setting setting = null;
      for (Setting s : Setting.values()) {
        if (s.flag.equals(name)) {
          setting = s;
        }
      }
      if (setting == null && name.equals("catalog-metrics")) {
        throw new ConfigException(REMOVED_CATALOG_METRICS);
      }
      if (setting == null) {
        throw new ConfigException("unknown flag --" + name + " (see help)");
      }
      values.put(setting, arg.substring(arg.indexOf('=') + 1));
    }
  }

  /**
   * Refuses a {@link #LOG_LEVEL} that logback would not understand: it takes an unknown or empty
   * level as DEBUG without a word.
   */
  private static void checkLogLevel(Map<String, String> env) {
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

  private String raw(Setting s) {
    String v = values.getOrDefault(s, s.defaultValue);
    if (v == null || (s.defaultValue == null && v.isBlank())) {
      throw new ConfigException(s.label() + " is required");
    }
    return v.strip();
  }

  private int port(Setting s, boolean zeroAllowed) {
    String v = raw(s);
    try {
      int port = Integer.parseInt(v);
      if (port >= (zeroAllowed ? 0 : 1) && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(
        s.label()
            + ": '"
            + v
            + "' is not a port ("
            + (zeroAllowed ? "0 for none, " : "")
            + "1-65535)");
  }

  private Duration millis(Setting s, long min, long max) {
    String v = raw(s);
    try {
      long ms = Long.parseLong(v);
      if (ms >= min && ms <= max) {
        return Duration.ofMillis(ms);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(
        s.label() + ": '" + v + "' is not a number of milliseconds from " + min + " to " + max);
  }

  private Path file(Setting s) {
    String v = raw(s);
    if (v.isEmpty()) {
      return null;
    }
    Path p = Path.of(v);
    if (!Files.isReadable(p)) {
      throw new ConfigException(s.label() + ": cannot read " + v);
    }
    return p;
  }

  private String dnsName(Setting s, Pattern pattern, int maxLength, String what) {
    String v = raw(s);
    if (v.length() > maxLength || !pattern.matcher(v).matches()) {
      throw new ConfigException(s.label() + ": '" + v + "' is not " + what);
    }
    return v;
  }

  private AdapterConfig build() {
    String bind = raw(Setting.BIND_ADDRESS);
    int securePort = port(Setting.SECURE_PORT, false);
    int httpPort = port(Setting.HTTP_PORT, true);
    if (httpPort != 0 && httpPort == securePort) {
      throw new ConfigException(
          Setting.HTTP_PORT.label() + ": must differ from " + Setting.SECURE_PORT.label());
    }
    Path cert = file(Setting.TLS_CERT_FILE);
    Path key = file(Setting.TLS_KEY_FILE);
    if ((cert == null) != (key == null)) {
      throw new ConfigException(
          Setting.TLS_CERT_FILE.label()
              + " and "
              + Setting.TLS_KEY_FILE.label()
              + " go together: give both or neither");
    }
    String secret = null;
    if (cert == null) {
      secret = dnsName(Setting.TLS_SECRET, SUBDOMAIN, 253, "a Secret name (a DNS subdomain)");
    }
    String namespace = dnsName(Setting.NAMESPACE, DNS_LABEL, 63, "a namespace name (a DNS label)");
    String service = dnsName(Setting.SERVICE_NAME, DNS_LABEL, 63, "a Service name (a DNS label)");
    List<String> apiServices = new ArrayList<>();
    for (String a : raw(Setting.APISERVICES).split(",")) {
      String name = a.strip();
      if (name.isEmpty()) {
        continue;
      }
      if (!name.matches("v1beta[12]\\.custom\\.metrics\\.k8s\\.io")) {
        throw new ConfigException(
            Setting.APISERVICES.label()
                + ": '"
                + name
                + "' is not an APIService this adapter serves (v1beta2.custom.metrics.k8s.io,"
                + " v1beta1.custom.metrics.k8s.io)");
      }
      apiServices.add(name);
    }
    return new AdapterConfig(
        bind,
        securePort,
        httpPort,
        cert,
        key,
        secret,
        namespace,
        service,
        List.copyOf(apiServices),
        millis(Setting.CACHE_MS, 0, 60_000),
        millis(Setting.SCRAPE_TIMEOUT_MS, 50, 30_000),
        millis(Setting.AUTHORIZATION_CACHE_MS, 0, 600_000));
  }
}
