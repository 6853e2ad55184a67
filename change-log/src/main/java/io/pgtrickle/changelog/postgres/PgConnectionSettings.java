package io.pgtrickle.changelog.postgres;

import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.changelog.ChangeLogConfigException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Properties;
import java.util.Set;
import org.postgresql.PGProperty;

/**
 * How the PostgreSQL change log connects: its {@code postgresql://} URI turned into a PgJDBC URL
 * and driver properties, and PgJDBC's connection errors made readable. Pure: no connection opened.
 */
final class PgConnectionSettings {

  /** The URI parameters the backend itself reads; every other one goes to PgJDBC. */
  static final Set<String> OWN_PARAMS = Set.of("schema", "pool");

  private PgConnectionSettings() {}

  /**
   * The message of {@code e}, followed by its innermost cause's class and message when that says
   * more: PgJDBC's "The connection attempt failed." hides an unknown host in its cause.
   */
  static String withRootCause(SQLException e) {
    String message = String.valueOf(e.getMessage());
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root == e || root.getMessage() == null || message.contains(root.getMessage())) {
      return message;
    }
    return message + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
  }

  static String jdbcUrl(ChangeLogConfig config) {
    var uri = config.uri();
    if (uri.getHost() == null) {
      throw new ChangeLogConfigException("uri", "has no host: " + config.redacted());
    }
    int port = uri.getPort() < 0 ? 5432 : uri.getPort();
    String path = uri.getPath() == null ? "" : uri.getPath();
    String database = path.length() > 1 ? path.substring(1) : "postgres";
    // getPath() decoded the name; PgJDBC form-decodes its URL's database ('+' is a blank there,
    // '?' ends it), so it gets the name encoded the same way.
    return "jdbc:postgresql://"
        + uri.getHost()
        + ":"
        + port
        + "/"
        + URLEncoder.encode(database, StandardCharsets.UTF_8);
  }

  static Properties driverProperties(ChangeLogConfig config) {
    Properties p = new Properties();
    // Rewrites a JDBC batch into multi-row INSERTs: one round trip per publish.
    p.setProperty("reWriteBatchedInserts", "true");
    p.setProperty("connectTimeout", "10");
    p.setProperty("loginTimeout", "10");
    p.setProperty("ApplicationName", "pgtrickle-changelog");
    String userInfo = config.uri().getUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      p.setProperty("user", colon < 0 ? userInfo : userInfo.substring(0, colon));
      if (colon >= 0) {
        p.setProperty("password", userInfo.substring(colon + 1));
      }
    }
    config
        .params()
        .forEach(
            (k, v) -> {
              if (!ChangeLogConfig.COMMON_PARAMS.contains(k) && !OWN_PARAMS.contains(k)) {
                // PgJDBC ignores a property it does not know: a misspelt consumer=, schema= or
                // driver setting would silently be the default.
                if (PGProperty.forName(k) == null) {
                  throw new ChangeLogConfigException(
                      k,
                      "is not a parameter of the PostgreSQL change log ("
                          + ChangeLogConfig.COMMON_PARAMS.stream().sorted().toList()
                          + ", schema, pool) nor a PgJDBC connection property");
                }
                p.setProperty(k, v);
              }
            });
    // A vanished server noticed in about 25 s rather than 2 h (unless the URI says otherwise).
    return KeepaliveSocketFactory.configure(p);
  }
}
