package io.pgtrickle.adapter.auth;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Decides who a request is from (pure), in the order k8s.io/apiserver's delegated authentication
 * uses:
 *
 * <ol>
 *   <li>a client certificate that verifies against the front-proxy CA and whose common name is
 *       allowed: the user is the first non-empty username header (none: 401), groups from every
 *       group header value, extras from the prefixed headers. Only here are headers trusted.
 *   <li>else a client certificate that verifies against the client CA: the user is its CN, the
 *       groups its O values; any {@code X-Remote-*} header is ignored.
 *   <li>else: unauthenticated (401).
 * </ol>
 *
 * Every authenticated user gets the group {@code system:authenticated}.
 */
public final class Authenticator {

  /** The outcome: a user, or the reason there is none. */
  public sealed interface Result {}

  /** Authenticated; {@code viaFrontProxy} tells whether the user came from trusted headers. */
  public record Authenticated(UserInfo user, boolean viaFrontProxy) implements Result {}

  /** Not authenticated; the reason is for the log, the client gets a plain 401. */
  public record Unauthenticated(String reason) implements Result {}

  public static final String AUTHENTICATED_GROUP = "system:authenticated";

  private Authenticator() {}

  /**
   * Authenticates a request.
   *
   * @param config the front-proxy configuration
   * @param chain the client's certificate chain, leaf first, or null/empty
   * @param headers the request headers (names compared case-insensitively)
   * @param now the time
   * @return the result
   */
  public static Result authenticate(
      FrontProxyConfig config,
      X509Certificate[] chain,
      Map<String, List<String>> headers,
      Date now) {
    if (chain == null || chain.length == 0) {
      return new Unauthenticated("no client certificate");
    }
    String cn = commonName(chain[0]);
    if (config.requestHeaderCa().accepts(chain, now)
        && (config.allowedNames().isEmpty() || config.allowedNames().contains(cn))) {
      String user = null;
      for (String h : config.usernameHeaders()) {
        for (String v : values(headers, h)) {
          if (!v.isBlank()) {
            user = v;
            break;
          }
        }
        if (user != null) {
          break;
        }
      }
      if (user == null) {
        return new Unauthenticated(
            "front proxy " + cn + " sent no user in " + config.usernameHeaders());
      }
      List<String> groups = new ArrayList<>();
      for (String h : config.groupHeaders()) {
        groups.addAll(values(headers, h));
      }
      Map<String, List<String>> extra = new LinkedHashMap<>();
      for (String prefix : config.extraHeaderPrefixes()) {
        String p = prefix.toLowerCase(Locale.ROOT);
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
          String name = e.getKey().toLowerCase(Locale.ROOT);
          if (name.startsWith(p) && name.length() > p.length()) {
            String key = unescape(name.substring(p.length()));
            extra.computeIfAbsent(key, k -> new ArrayList<>()).addAll(e.getValue());
          }
        }
      }
      return new Authenticated(new UserInfo(user, withAuthenticated(groups), extra), true);
    }
    if (config.clientCa().accepts(chain, now)) {
      return new Authenticated(
          new UserInfo(cn, withAuthenticated(organizations(chain[0])), Map.of()), false);
    }
    return new Unauthenticated(
        "certificate "
            + chain[0].getSubjectX500Principal()
            + " is neither an allowed front proxy nor from the client CA");
  }

  private static List<String> withAuthenticated(List<String> groups) {
    List<String> out = new ArrayList<>(groups);
    if (!out.contains(AUTHENTICATED_GROUP)) {
      out.add(AUTHENTICATED_GROUP);
    }
    return List.copyOf(out);
  }

  private static List<String> values(Map<String, List<String>> headers, String name) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name) && e.getValue() != null) {
        out.addAll(e.getValue());
      }
    }
    return out;
  }

  private static String unescape(String key) {
    try {
      return URLDecoder.decode(key.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return key;
    }
  }

  static String commonName(X509Certificate cert) {
    return rdn(cert, "CN").stream().findFirst().orElse("");
  }

  static List<String> organizations(X509Certificate cert) {
    return rdn(cert, "O");
  }

  private static List<String> rdn(X509Certificate cert, String type) {
    List<String> out = new ArrayList<>();
    try {
      for (Rdn r : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (r.getType().equalsIgnoreCase(type)) {
          out.add(r.getValue().toString());
        }
      }
    } catch (InvalidNameException e) {
      // no such attribute then
    }
    return out;
  }
}
