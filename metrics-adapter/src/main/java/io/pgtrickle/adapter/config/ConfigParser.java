package io.pgtrickle.adapter.config;

import io.pgtrickle.program.config.LogLevel;
import io.pgtrickle.program.config.SettingValues;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads {@link AdapterConfig} from environment variables ({@code PGTRICKLE_...}) and flags ({@code
 * --name=value}); a flag wins over its variable. Every problem names both spellings of the setting,
 * e.g. {@code PGTRICKLE_SECURE_PORT (--secure-port): 'x' is not a port (1-65535)}.
 */
public final class ConfigParser {

  /**
   * Every setting and its default (null: required, "": none); the flag is the name in lower case
   * with dashes, the variable PGTRICKLE_ and the name.
   */
  enum Setting implements io.pgtrickle.program.config.Setting {
    BIND_ADDRESS("0.0.0.0"),
    SECURE_PORT("6443"),
    HTTP_PORT("8080"),
    TLS_CERT_FILE(""),
    TLS_KEY_FILE(""),
    TLS_SECRET("pg-trickle-metrics-adapter-tls"),
    NAMESPACE(null),
    SERVICE_NAME("pg-trickle-metrics-adapter"),
    APISERVICES("v1beta2.custom.metrics.k8s.io,v1beta1.custom.metrics.k8s.io"),
    CACHE_MS("1000"),
    SCRAPE_TIMEOUT_MS("1000"),
    AUTHORIZATION_CACHE_MS("10000");

    private final String defaultValue;

    Setting(String defaultValue) {
      this.defaultValue = defaultValue;
    }

    @Override
    public String defaultValue() {
      return defaultValue;
    }
  }

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

  private final SettingValues<Setting> values;

  private ConfigParser(SettingValues<Setting> values) {
    this.values = values;
  }

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
    if (env.containsKey("PGTRICKLE_CATALOG_METRICS")) {
      throw new ConfigException(REMOVED_CATALOG_METRICS);
    }
    LogLevel.check(env, ConfigException::new);
    Map<String, String> withNamespace = new HashMap<>(env);
    if (env.get(Setting.NAMESPACE.env()) == null && env.get("POD_NAMESPACE") != null) {
      withNamespace.put(Setting.NAMESPACE.env(), env.get("POD_NAMESPACE"));
    }
    // Only --name=value: the flags before the first other argument are read (an unknown one is
    // refused first), then that argument is.
    int other = 0;
    while (other < args.size()
        && args.get(other).startsWith("--")
        && args.get(other).indexOf('=') >= 0) {
      other++;
    }
    SettingValues<Setting> values =
        SettingValues.read(
            Setting.class,
            withNamespace,
            args.subList(0, other),
            ConfigException::new,
            ConfigParser::unknownFlag);
    if (other < args.size()) {
      throw new ConfigException(
          "unexpected argument '" + args.get(other) + "' (flags are --name=value)");
    }
    return new ConfigParser(values).build();
  }

  private static ConfigException unknownFlag(String name) {
    return new ConfigException(
        name.equals("catalog-metrics")
            ? REMOVED_CATALOG_METRICS
            : "unknown flag --" + name + " (see help)");
  }

  /**
   * Lists the settings for {@code help}.
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
    return SettingValues.unknownVariables(Setting.class, env, "the metrics adapter");
  }

  private int port(Setting s, boolean zeroAllowed) {
    String v = values.get(s);
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
    String v = values.get(s);
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
    String v = values.get(s);
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
    String v = values.get(s);
    if (v.length() > maxLength || !pattern.matcher(v).matches()) {
      throw new ConfigException(s.label() + ": '" + v + "' is not " + what);
    }
    return v;
  }

  private AdapterConfig build() {
    String bind = values.get(Setting.BIND_ADDRESS);
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
    for (String a : values.get(Setting.APISERVICES).split(",")) {
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
