package io.pgtrickle.changelog;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A backend's configuration: one URI whose scheme picks the backend and whose query parameters
 * carry the settings. Parameters shared by every backend:
 *
 * <ul>
 *   <li>{@code consumer} — the consumer name whose positions this instance reads and acknowledges
 *       (default {@code default}); letters, digits, {@code -} and {@code _}.
 *   <li>{@code batch} — the most events one {@link ChangeLogBackend#consume} returns (default 500).
 *   <li>{@code pollMs} — how long {@code consume} waits for new events before returning an empty
 *       batch, where the backend waits at all (default 100).
 * </ul>
 *
 * @param uri the URI with any {@code jdbc:} prefix removed
 * @param params the decoded query parameters in their order
 */
public record ChangeLogConfig(URI uri, Map<String, String> params) {

  private static final Pattern CONSUMER_NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  /** Parameters every backend understands. */
  public static final Set<String> COMMON_PARAMS = Set.of("consumer", "batch", "pollMs");

  /**
   * Parses a configuration URI.
   *
   * @param text the URI, e.g. {@code file:///var/lib/pgtrickle/log?consumer=worker}
   * @return the configuration
   * @throws ChangeLogConfigException naming {@code uri} if it is not a valid URI
   */
  public static ChangeLogConfig parse(String text) {
    if (text == null || text.isBlank()) {
      throw new ChangeLogConfigException("uri", "is empty");
    }
    String plain = text.startsWith("jdbc:") ? text.substring("jdbc:".length()) : text;
    URI uri;
    try {
      uri = new URI(plain);
    } catch (URISyntaxException e) {
      // Not getMessage() and not the cause: both quote the whole input, password included.
      throw new ChangeLogConfigException(
          "uri",
          "is not a valid URI: "
              + e.getReason()
              + " at index "
              + e.getIndex()
              + " (percent-encode reserved characters in parameter values, e.g. a password)");
    }
    if (uri.getScheme() == null) {
      throw new ChangeLogConfigException("uri", "has no scheme: " + redact(uri));
    }
    if (uri.getRawFragment() != null) {
      // Not quoted: a '#' in an unencoded password starts a fragment.
      throw new ChangeLogConfigException(
          "uri", "has a fragment ('#'), which no backend reads: percent-encode '#' as %23");
    }
    Map<String, String> params = new LinkedHashMap<>();
    String query = uri.getRawQuery();
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = decode("uri", eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(key, pair.substring(eq + 1));
        if (params.put(key, value) != null) {
          throw new ChangeLogConfigException(key, "is given more than once");
        }
      }
    }
    ChangeLogConfig config = new ChangeLogConfig(uri, Collections.unmodifiableMap(params));
    // The common parameters are checked here, not first where a backend reads them (some never
    // read pollMs; NATS reads both on its first consume).
    config.consumerName();
    config.batchSize();
    config.pollTimeout();
    return config;
  }

  /**
   * Adds a program's own database credentials to a PostgreSQL change-log URI that gives none, each
   * percent-encoded, so that a password may hold any character ({@code &}, {@code %}, {@code +},
   * {@code #}, blanks): the cdc-consumer and the worker pass theirs, and the operator's URIs carry
   * none, rather than a password substituted raw into the URI by the kubelet.
   *
   * @param text a change-log URI; other schemes, and a PostgreSQL URI with user information or a
   *     {@code user} (or {@code password}) parameter, come back unchanged (for that part)
   * @param user the user, or null or empty for none
   * @param password the password, or null or empty for none
   * @return the URI with {@code user=} and {@code password=} added where missing
   */
  public static String withCredentials(String text, String user, String password) {
    String plain = text.startsWith("jdbc:") ? text.substring("jdbc:".length()) : text;
    if (!plain.startsWith("postgresql:") && !plain.startsWith("postgres:")) {
      return text;
    }
    int hash = text.indexOf('#');
    String head = hash < 0 ? text : text.substring(0, hash);
    String tail = hash < 0 ? "" : text.substring(hash);
    int at = head.indexOf('@');
    int slashes = head.indexOf("//");
    int path = head.indexOf('/', slashes < 0 ? 0 : slashes + 2);
    boolean userInfo = at >= 0 && (path < 0 || at < path);
    int q = head.indexOf('?');
    String query = q < 0 ? "" : head.substring(q + 1);
    StringBuilder extra = new StringBuilder();
    if (!userInfo && user != null && !user.isEmpty() && !hasParam(query, "user")) {
      extra.append("user=").append(encode(user));
    }
    if (!userInfo && password != null && !password.isEmpty() && !hasParam(query, "password")) {
      extra.append(extra.length() == 0 ? "" : "&").append("password=").append(encode(password));
    }
    if (extra.length() == 0) {
      return text;
    }
    String separator = q < 0 ? "?" : (query.isEmpty() || query.endsWith("&") ? "" : "&");
    return head + separator + extra + tail;
  }

  private static boolean hasParam(String query, String name) {
    for (String pair : query.split("&")) {
      if (pair.equals(name) || pair.startsWith(name + "=")) {
        return true;
      }
    }
    return false;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String decode(String name, String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      // URLDecoder's message quotes the text, which may be a password.
      throw new ChangeLogConfigException(
          name, "has a % not followed by two hexadecimal digits (write % as %25)");
    }
  }

  /**
   * Refuses a path, which a backend addressed by its servers alone would ignore.
   *
   * @param example the URI form to suggest, e.g. {@code nats://host:4222?stream=NAME}
   * @throws ChangeLogConfigException naming {@code uri} if the URI has a path other than "/"
   */
  public void requireNoPath(String example) {
    String path = uri.getRawPath();
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      throw new ChangeLogConfigException(
          "uri",
          "has a path, which this backend does not read; name things by parameters: " + example);
    }
  }

  /**
   * Returns the backend's scheme in lower case, e.g. {@code postgresql}.
   *
   * @return the scheme
   */
  public String scheme() {
    return uri.getScheme().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Whether the URI names its consumer. A backend registers a named consumer when it opens (so that
   * events are kept for it from then on) and the unnamed {@code default} one only on its first
   * consume or acknowledgment: an instance that only publishes (a CDC consumer) registers none, and
   * so never holds back the pruning of what the real consumers acknowledged.
   *
   * @return true when the {@code consumer} parameter is given
   */
  public boolean namesConsumer() {
    return params.containsKey("consumer");
  }

  /**
   * Returns the consumer name.
   *
   * @return the {@code consumer} parameter, or {@code default}
   */
  public String consumerName() {
    String name = params.getOrDefault("consumer", "default");
    if (!CONSUMER_NAME.matcher(name).matches()) {
      throw new ChangeLogConfigException(
          "consumer", "'" + name + "' must be 1 to 100 letters, digits, '-' or '_'");
    }
    return name;
  }

  /**
   * Returns the most events one consume call returns.
   *
   * @return the {@code batch} parameter, or 500
   */
  public int batchSize() {
    return intParam("batch", 500, 1, 100_000);
  }

  /**
   * Returns how long consume waits for new events.
   *
   * @return the {@code pollMs} parameter, or 100 ms
   */
  public Duration pollTimeout() {
    return Duration.ofMillis(intParam("pollMs", 100, 0, 60_000));
  }

  /**
   * Returns a string parameter.
   *
   * @param name the parameter
   * @param fallback the value when it is absent
   * @return its value
   */
  public String param(String name, String fallback) {
    String value = params.get(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  /**
   * Returns an integer parameter within bounds.
   *
   * @param name the parameter
   * @param fallback the value when it is absent
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @return its value
   * @throws ChangeLogConfigException naming the parameter if it is not an integer in range
   */
  public int intParam(String name, int fallback, int min, int max) {
    String value = params.get(name);
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value);
      if (n < min || n > max) {
        throw new ChangeLogConfigException(
            name, "must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ChangeLogConfigException(name, "must be an integer, got '" + value + "'", e);
    }
  }

  /**
   * Fails if a parameter is neither common nor one of {@code known}, so that a misspelt setting is
   * reported instead of silently ignored.
   *
   * @param known the backend's own parameters
   * @throws ChangeLogConfigException naming the first unknown parameter
   */
  public void requireKnownParams(Set<String> known) {
    for (String name : params.keySet()) {
      if (!COMMON_PARAMS.contains(name) && !known.contains(name)) {
        throw new ChangeLogConfigException(
            name,
            "is not a known parameter of the "
                + scheme()
                + " backend (known: "
                + String.join(", ", new java.util.TreeSet<>(union(known)))
                + ")");
      }
    }
  }

  private static Set<String> union(Set<String> known) {
    Set<String> all = new java.util.HashSet<>(known);
    all.addAll(COMMON_PARAMS);
    return all;
  }

  /**
   * Returns the URI with any password removed, for messages and logs.
   *
   * @return the redacted URI text
   */
  public String redacted() {
    return redact(uri);
  }

  private static String redact(URI uri) {
    return uri.toString()
        .replaceAll("(?i)(password=)[^&]*", "$1***")
        .replaceAll("//([^/@:]+):[^/@]*@", "//$1:***@");
  }
}
