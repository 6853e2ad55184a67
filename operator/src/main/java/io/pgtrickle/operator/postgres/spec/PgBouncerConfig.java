package io.pgtrickle.operator.postgres.spec;

import io.pgtrickle.operator.api.PgBouncerSpec;
import io.pgtrickle.operator.api.PoolMode;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PgBouncer's configuration (pgbouncer.ini) for the pooler sidecar of every member. No password is
 * in it: PgBouncer looks up each client's SCRAM verifier with {@code auth_query} through the
 * function {@code pgbouncer.get_auth} (see {@code ServiceRoles}), logging in for that as the user
 * {@code pgbouncer}, whose password is in the auth file of the Secret {@code NAME-pgbouncer}. It
 * reaches its own member's PostgreSQL over the Unix socket, so the pooler of the primary pools
 * connections to the primary.
 */
public final class PgBouncerConfig {

  public static final int PORT = 6432;
  public static final String FILE = "pgbouncer.ini";
  public static final String CONFIG_MOUNT = "/etc/pgbouncer";
  public static final String AUTH_MOUNT = "/etc/pgbouncer-auth";
  public static final String AUTH_FILE = "userlist.txt";
  public static final String AUTH_USER = "pgbouncer";
  public static final PoolMode DEFAULT_POOL_MODE = PoolMode.transaction;
  public static final int DEFAULT_MAX_CLIENT_CONN = 1000;

  private PgBouncerConfig() {}

  public static boolean enabled(PostgresCluster cluster) {
    PgBouncerSpec spec = cluster.getSpec().getPgbouncer();
    return spec != null && Boolean.TRUE.equals(spec.getEnabled());
  }

  public static PoolMode poolMode(PostgresCluster cluster) {
    PgBouncerSpec spec = cluster.getSpec().getPgbouncer();
    return spec == null || spec.getPoolMode() == null ? DEFAULT_POOL_MODE : spec.getPoolMode();
  }

  public static int maxClientConn(PostgresCluster cluster) {
    PgBouncerSpec spec = cluster.getSpec().getPgbouncer();
    return spec == null || spec.getMaxClientConn() == null
        ? DEFAULT_MAX_CLIENT_CONN
        : spec.getMaxClientConn();
  }

  /**
   * Server connections per database and user: a quarter of max_connections, at least 5 and at most
   * 50; {@code max_db_connections} caps a database at three quarters, so Patroni, replication
   * tools, the exporter and the superuser always find a free slot.
   */
  static int poolSize(int maxConnections) {
    return Math.max(5, Math.min(50, maxConnections / 4));
  }

  static int maxDbConnections(int maxConnections) {
    return Math.max(poolSize(maxConnections), maxConnections * 3 / 4);
  }

  /**
   * The settings of pgbouncer.ini that the cluster's spec decides ({@code spec.pgbouncer} and
   * {@code max_connections}), by name, as PgBouncer's {@code SHOW CONFIG} shows them: what a
   * running PgBouncer must have reloaded after a change (PoolerReload).
   */
  public static Map<String, String> specSettings(PostgresCluster cluster) {
    int maxConnections = maxConnections(cluster);
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("pool_mode", poolMode(cluster).name());
    settings.put("max_client_conn", Integer.toString(maxClientConn(cluster)));
    settings.put("default_pool_size", Integer.toString(poolSize(maxConnections)));
    settings.put("max_db_connections", Integer.toString(maxDbConnections(maxConnections)));
    return settings;
  }

  /** The file's text. */
  public static String render(PostgresCluster cluster) {
    StringBuilder ini = new StringBuilder();
    ini.append("; Managed by the pg-trickle operator; edit spec.pgbouncer.\n");
    ini.append("[databases]\n");
    // Every database, on this member's PostgreSQL, over the Unix socket.
    ini.append("* = host=/var/run/postgresql port=")
        .append(ClusterServices.POSTGRES_PORT)
        .append('\n');
    ini.append("\n[pgbouncer]\n");
    line(ini, "listen_addr", "*");
    line(ini, "listen_port", Integer.toString(PORT));
    line(ini, "unix_socket_dir", "");
    specSettings(cluster).forEach((key, value) -> line(ini, key, value));
    line(ini, "auth_type", "scram-sha-256");
    line(ini, "auth_file", AUTH_MOUNT + "/" + AUTH_FILE);
    line(ini, "auth_user", AUTH_USER);
    line(ini, "auth_query", "SELECT usename, passwd FROM pgbouncer.get_auth($1)");
    line(ini, "admin_users", AUTH_USER);
    line(ini, "stats_users", AUTH_USER);
    // JDBC and other drivers send these at start; PgBouncer would refuse them otherwise.
    line(ini, "ignore_startup_parameters", "extra_float_digits,options,search_path");
    // After a failover the new primary is up within seconds: retry soon rather than in 15 s.
    line(ini, "server_login_retry", "1");
    line(ini, "server_connect_timeout", "5");
    line(ini, "query_wait_timeout", "60");
    if (ClusterTls.enabled(cluster)) {
      line(ini, "client_tls_sslmode", "require");
      line(ini, "client_tls_cert_file", ClusterTls.MOUNT + "/" + ClusterTls.CERT);
      line(ini, "client_tls_key_file", ClusterTls.MOUNT + "/" + ClusterTls.KEY);
      line(ini, "client_tls_protocols", "tlsv1.2,tlsv1.3");
    } else {
      line(ini, "client_tls_sslmode", "disable");
    }
    return ini.toString();
  }

  /** The auth file: the auth_query user alone (a Secret's key, never a ConfigMap's). */
  public static String authFile(String password) {
    return "\"" + AUTH_USER + "\" \"" + password.replace("\"", "\"\"") + "\"\n";
  }

  static int maxConnections(PostgresCluster cluster) {
    String value = PostgresqlParameters.effective(cluster).get("max_connections");
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException | NullPointerException e) {
      return 100;
    }
  }

  private static void line(StringBuilder ini, String key, String value) {
    ini.append(key).append(" = ").append(value).append('\n');
  }
}
