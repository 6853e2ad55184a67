package io.pgtrickle.adapter.sources;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.adapter.custommetrics.ApiException;
import io.pgtrickle.adapter.pipeline.PipelineMetrics;
import io.pgtrickle.adapter.pipeline.PipelineNames;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Reads {@code pgtrickle.pg_stat_pgtrickle} (the worker's catalog view) of a StreamTableCluster's
 * database: {@code current_lag_ms} per stream table. The database is found as the operator finds
 * it: {@code spec.postgresql.clusterRef} (the PostgresCluster's primary pod and its {@code
 * NAME-credentials} Secret) or {@code host}/{@code port} with {@code secretRef} (keys {@code
 * username}, {@code password}). Credentials are read for each query and never logged. A missing
 * catalog (no worker has started yet) means no stream tables.
 */
public final class CatalogStats implements PipelineMetrics.CatalogSource {

  static final String QUERY =
      "SELECT schema_name || '.' || table_name, current_lag_ms FROM pgtrickle.pg_stat_pgtrickle";
  static final String CATALOG_EXISTS =
      "SELECT to_regclass('pgtrickle.pg_stat_pgtrickle') IS NOT NULL";

  private final KubernetesClient client;
  private final Duration timeout;
  private final SampleCache<String, Map<String, Double>> cache;

  /**
   * @param client the Kubernetes client
   * @param ttl how long a read is reused
   * @param timeout connect and statement timeout
   */
  public CatalogStats(KubernetesClient client, Duration ttl, Duration timeout) {
    this.client = client;
    this.timeout = timeout;
    this.cache = new SampleCache<>(ttl, Clock.systemUTC());
  }

  @Override
  public SampleCache.Timed<Map<String, Double>> currentLagMs(GenericKubernetesResource stc) {
    String key = stc.getMetadata().getNamespace() + "/" + stc.getMetadata().getName();
    try {
      return cache.get(key, k -> read(stc));
    } catch (ApiException e) {
      throw e;
    } catch (Exception e) {
      throw ApiException.unavailable(
          "pgtrickle.pg_stat_pgtrickle of StreamTableCluster " + key + ": " + e.getMessage());
    }
  }

  private Map<String, Double> read(GenericKubernetesResource stc) throws SQLException {
    Endpoint db = endpoint(stc);
    Properties p = new Properties();
    p.setProperty("user", db.user());
    if (db.password() != null) {
      p.setProperty("password", db.password());
    }
    int seconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
    p.setProperty("connectTimeout", String.valueOf(seconds));
    p.setProperty("loginTimeout", String.valueOf(seconds));
    p.setProperty("socketTimeout", String.valueOf(seconds + 1));
    p.setProperty("ApplicationName", "pg-trickle-metrics-adapter");
    p.setProperty("readOnly", "true");
    String url = "jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.database();
    Map<String, Double> out = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection(url, p);
        Statement s = c.createStatement()) {
      s.setQueryTimeout(seconds);
      try (ResultSet rs = s.executeQuery(CATALOG_EXISTS)) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return out;
        }
      }
      try (ResultSet rs = s.executeQuery(QUERY)) {
        while (rs.next()) {
          double lag = rs.getDouble(2);
          out.put(rs.getString(1), rs.wasNull() ? 0 : Math.max(0, lag));
        }
      }
    } catch (SQLException e) {
      throw new SQLException(db + ": " + e.getMessage(), e.getSQLState(), e);
    }
    return out;
  }

  /** Where the database is; {@link #toString()} leaves out the password. */
  record Endpoint(String host, int port, String database, String user, String password) {
    @Override
    public String toString() {
      return "database " + database + " at " + host + ":" + port + " as " + user;
    }
  }

  @SuppressWarnings("unchecked")
  private Endpoint endpoint(GenericKubernetesResource stc) {
    String ns = stc.getMetadata().getNamespace();
    Map<String, Object> spec = (Map<String, Object>) stc.getAdditionalProperties().get("spec");
    Map<String, Object> pg =
        spec == null ? Map.of() : (Map<String, Object>) spec.getOrDefault("postgresql", Map.of());
    String database = (String) pg.getOrDefault("database", "postgres");
    String host = (String) pg.get("host");
    int port = pg.get("port") instanceof Number n ? n.intValue() : 5432;
    String secretName = ref(pg.get("secretRef"));
    String clusterRef = ref(pg.get("clusterRef"));
    if (clusterRef != null) {
      GenericKubernetesResource cluster =
          client
              .genericKubernetesResources(PipelineNames.POSTGRES_CLUSTERS)
              .inNamespace(ns)
              .withName(clusterRef)
              .get();
      if (cluster == null) {
        throw ApiException.unavailable(
            "StreamTableCluster "
                + ns
                + "/"
                + stc.getMetadata().getName()
                + ": its PostgresCluster "
                + clusterRef
                + " does not exist");
      }
      Map<String, Object> status =
          (Map<String, Object>) cluster.getAdditionalProperties().get("status");
      String primary = status == null ? null : (String) status.get("primaryPod");
      Pod pod = primary == null ? null : client.pods().inNamespace(ns).withName(primary).get();
      String ip = pod == null || pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      if (ip == null) {
        throw ApiException.unavailable(
            "PostgresCluster " + ns + "/" + clusterRef + " has no primary");
      }
      host = ip;
      port = 5432;
      secretName = clusterRef + "-credentials";
    }
    if (host == null || secretName == null) {
      throw ApiException.unavailable(
          "StreamTableCluster "
              + ns
              + "/"
              + stc.getMetadata().getName()
              + ": spec.postgresql names no database (host and secretRef, or clusterRef)");
    }
    Secret secret = client.secrets().inNamespace(ns).withName(secretName).get();
    if (secret == null) {
      throw ApiException.unavailable("Secret " + ns + "/" + secretName + " does not exist");
    }
    String user = value(secret, "username");
    if (user == null) {
      throw ApiException.unavailable("Secret " + ns + "/" + secretName + " has no key username");
    }
    return new Endpoint(host, port, database, user, value(secret, "password"));
  }

  @SuppressWarnings("unchecked")
  private static String ref(Object o) {
    return o instanceof Map<?, ?> m ? (String) ((Map<String, Object>) m).get("name") : null;
  }

  private static String value(Secret secret, String key) {
    if (secret.getData() != null && secret.getData().get(key) != null) {
      return new String(
          Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }
    return secret.getStringData() == null ? null : secret.getStringData().get(key);
  }
}
