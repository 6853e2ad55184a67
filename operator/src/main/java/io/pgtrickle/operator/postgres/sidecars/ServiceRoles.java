package io.pgtrickle.operator.postgres.sidecars;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import io.pgtrickle.operator.postgres.spec.PgBouncerConfig;
import io.pgtrickle.operator.postgres.spec.SidecarObjects;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import io.pgtrickle.operator.postgres.tls.MemberJdbc;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database roles the sidecars log in as, made on the primary by the operator (idempotent):
 *
 * <ul>
 *   <li>{@code pgbouncer}: PgBouncer's auth_query user. It may only execute {@code
 *       pgbouncer.get_auth(name)}, a SECURITY DEFINER function returning the SCRAM verifier of a
 *       login role that is neither superuser nor replication (those connect directly, never through
 *       the pooler). The function is made in {@code postgres} and {@code template1}, so databases
 *       created later have it too (PgBouncer 1.18 runs auth_query in the client's database).
 *   <li>{@code pgtrickle_monitoring}: the exporter's user, member of {@code pg_monitor}.
 * </ul>
 *
 * Passwords come from the Secrets and reach PostgreSQL as SCRAM verifiers computed by the driver.
 * What was applied is remembered per cluster in this process, so a round connects only when the
 * wanted roles changed (or after an operator restart, once).
 */
public class ServiceRoles {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceRoles.class);

  static final String AUTH_FUNCTION =
      """
      CREATE OR REPLACE FUNCTION pgbouncer.get_auth(p_usename text)
      RETURNS TABLE (usename name, passwd text)
      LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
        SELECT s.usename, s.passwd FROM pg_catalog.pg_shadow s
        WHERE s.usename = p_usename AND NOT s.usesuper AND NOT s.userepl
      $$""";

  private final Map<String, String> applied = new ConcurrentHashMap<>();

  /** A role to make: name, password, and whether it is PgBouncer's or the exporter's. */
  record Role(String name, String password, boolean pooler) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * Makes the roles the cluster's sidecars need, on the primary {@code primary} (null when there is
   * none; with TLS over {@code verify-full}, see {@link MemberJdbc}). Returns true when they are in
   * place (or none are needed), false when the primary could not be reached or verified (the caller
   * tries again soon). Never throws for a database error.
   */
  public boolean ensure(
      PostgresCluster cluster,
      Supplier<MemberJdbc.Target> primary,
      String superuser,
      String superuserPassword,
      Secret pooler,
      Secret monitoring) {
    List<Role> roles = wanted(cluster, pooler, monitoring);
    List<String> retired = retired(cluster, pooler, monitoring);
    String key = cluster.getMetadata().getUid();
    String hash = Integer.toHexString(java.util.Objects.hash(roles, retired));
    if ((roles.isEmpty() && retired.isEmpty()) || hash.equals(applied.get(key))) {
      return true;
    }
    if (superuserPassword == null) {
      return false;
    }
    try {
      MemberJdbc.Target target = primary.get();
      if (target == null) {
        return false;
      }
      for (String database : List.of("postgres", "template1")) {
        try (Connection c = connect(target, database, superuser, superuserPassword);
            Statement s = c.createStatement()) {
          s.execute("SET statement_timeout = '10s'");
          if (database.equals("postgres")) {
            for (Role role : roles) {
              s.execute(
                  "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
                      + role.name()
                      + "') THEN CREATE ROLE "
                      + role.name()
                      + " LOGIN; END IF; END $$");
              s.execute("ALTER ROLE " + role.name() + " LOGIN"); // retired before, see below
              c.unwrap(PGConnection.class)
                  .alterUserPassword(role.name(), role.password().toCharArray(), "scram-sha-256");
              if (!role.pooler()) {
                s.execute("GRANT pg_monitor TO " + role.name());
              }
            }
            for (String name : retired) {
              // The sidecar is off: its role must not log in any more (pgbouncer could still run
              // pgbouncer.get_auth, which returns password verifiers), nor stay logged in.
              s.execute(
                  "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '"
                      + name
                      + "') THEN ALTER ROLE "
                      + name
                      + " NOLOGIN; END IF; END $$");
              s.execute(
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '"
                      + name
                      + "'");
            }
          }
          if (roles.stream().anyMatch(Role::pooler)) {
            s.execute("CREATE SCHEMA IF NOT EXISTS pgbouncer");
            s.execute("REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC");
            s.execute(AUTH_FUNCTION);
            s.execute("REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC");
            s.execute("GRANT USAGE ON SCHEMA pgbouncer TO " + PgBouncerConfig.AUTH_USER);
            s.execute(
                "GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO "
                    + PgBouncerConfig.AUTH_USER);
          }
        }
      }
      applied.put(key, hash);
      LOG.info("sidecar roles {} in place on {}", roles, cluster.getMetadata().getName());
      return true;
    } catch (SQLException e) {
      LOG.info(
          "sidecar roles of {} not made yet: {}", cluster.getMetadata().getName(), e.getMessage());
      return false;
    } catch (MemberJdbc.NoCaException e) {
      LOG.warn("sidecar roles of {} not made: {}", cluster.getMetadata().getName(), e.getMessage());
      return false;
    }
  }

  /**
   * The roles of sidecars that are off but were on once (their Secret is still there, as the
   * operator keeps it): they are made unable to log in. A cluster that never had the sidecar has no
   * such role, and nothing is asked of its primary.
   */
  static List<String> retired(PostgresCluster cluster, Secret pooler, Secret monitoring) {
    java.util.ArrayList<String> names = new java.util.ArrayList<>();
    if (!PgBouncerConfig.enabled(cluster) && pooler != null) {
      names.add(SidecarObjects.POOLER_USER);
    }
    if (!io.pgtrickle.operator.postgres.spec.ExporterQueries.enabled(cluster)
        && monitoring != null) {
      names.add(SidecarObjects.MONITORING_USER);
    }
    return names;
  }

  /** The roles of the enabled sidecars whose Secrets exist, with their passwords. */
  static List<Role> wanted(PostgresCluster cluster, Secret pooler, Secret monitoring) {
    java.util.ArrayList<Role> roles = new java.util.ArrayList<>();
    if (PgBouncerConfig.enabled(cluster) && pooler != null) {
      roles.add(
          new Role(
              SidecarObjects.POOLER_USER, ClusterTls.text(pooler, ClusterSecrets.PASSWORD), true));
    }
    if (io.pgtrickle.operator.postgres.spec.ExporterQueries.enabled(cluster)
        && monitoring != null) {
      roles.add(
          new Role(
              SidecarObjects.MONITORING_USER,
              ClusterTls.text(monitoring, ClusterSecrets.PASSWORD),
              false));
    }
    roles.removeIf(r -> r.password() == null);
    return roles;
  }

  private static Connection connect(
      MemberJdbc.Target target, String database, String user, String password) throws SQLException {
    return DriverManager.getConnection(
        MemberJdbc.url(target, database), MemberJdbc.properties(target, user, password, 5, 15));
  }
}
