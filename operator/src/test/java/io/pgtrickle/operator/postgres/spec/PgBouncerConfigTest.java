package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.pgtrickle.operator.api.MetricsSpec;
import io.pgtrickle.operator.api.PgBouncerSpec;
import io.pgtrickle.operator.api.PoolMode;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.TlsSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PgBouncerConfigTest {

  private static PostgresCluster pooled(PoolMode mode, Integer maxClientConn) {
    PostgresCluster cluster = Clusters.basic(3);
    PgBouncerSpec pgbouncer = new PgBouncerSpec();
    pgbouncer.setEnabled(true);
    pgbouncer.setPoolMode(mode);
    pgbouncer.setMaxClientConn(maxClientConn);
    cluster.getSpec().setPgbouncer(pgbouncer);
    return cluster;
  }

  @Test
  void poolModeAndMaxClientConnAreHonoured() {
    String ini = PgBouncerConfig.render(pooled(PoolMode.session, 500));
    assertThat(ini).contains("pool_mode = session\n").contains("max_client_conn = 500\n");
    String defaults = PgBouncerConfig.render(pooled(null, null));
    assertThat(defaults).contains("pool_mode = transaction\n").contains("max_client_conn = 1000\n");
  }

  @Test
  void noPasswordInTheConfigMapAndAuthThroughAuthQuery() {
    PostgresCluster cluster = pooled(PoolMode.transaction, 100);
    String ini = SidecarObjects.poolerConfig(cluster).getData().get("pgbouncer.ini");
    assertThat(ini)
        .contains("auth_type = scram-sha-256")
        .contains("auth_query = SELECT usename, passwd FROM pgbouncer.get_auth($1)")
        .contains("auth_file = /etc/pgbouncer-auth/userlist.txt")
        .contains("* = host=/var/run/postgresql port=5432")
        .doesNotContainIgnoringCase("password");
    var secret = SidecarObjects.poolerSecret(cluster);
    assertThat(secret.getStringData().get("userlist.txt"))
        .isEqualTo("\"pgbouncer\" \"" + secret.getStringData().get("password") + "\"\n");
  }

  @Test
  void poolsFitUnderMaxConnections() {
    PostgresCluster cluster = pooled(PoolMode.transaction, 500);
    cluster.getSpec().setPostgresqlParams(Map.of("max_connections", "100"));
    String ini = PgBouncerConfig.render(cluster);
    assertThat(ini).contains("default_pool_size = 25\n").contains("max_db_connections = 75\n");
  }

  @Test
  void tlsForClientsWhenTheClusterHasTls() {
    PostgresCluster cluster = pooled(PoolMode.transaction, 100);
    assertThat(PgBouncerConfig.render(cluster)).contains("client_tls_sslmode = disable");
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(true);
    cluster.getSpec().setTls(tls);
    assertThat(PgBouncerConfig.render(cluster))
        .contains("client_tls_sslmode = require")
        .contains("client_tls_cert_file = /etc/postgresql/tls/tls.crt");
  }

  @Test
  void sidecarsJoinThePodWhenEnabled() {
    PostgresCluster cluster = pooled(PoolMode.transaction, 100);
    MetricsSpec metrics = new MetricsSpec();
    metrics.setEnabled(true);
    cluster.getSpec().setMetrics(metrics);
    var template = ClusterStatefulSet.build(cluster, "img:16").getSpec().getTemplate();
    assertThat(template.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("postgres", "pgbouncer", "exporter");
    assertThat(template.getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "9187");
    var exporter = template.getSpec().getContainers().get(2);
    // The password only through the Secret: a secretKeyRef, referenced by the DSN as $(VAR).
    assertThat(exporter.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("MONITORING_PASSWORD");
              assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("db-monitoring");
            })
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("DATA_SOURCE_NAME");
              assertThat(e.getValue())
                  .contains("host=/var/run/postgresql")
                  .contains("password=$(MONITORING_PASSWORD)");
            });
    var service = SidecarObjects.poolerService(cluster);
    assertThat(service.getMetadata().getName()).isEqualTo("db-pooler");
    assertThat(service.getSpec().getSelector())
        .containsEntry("postgres.example.com/role", "primary");
  }

  @Test
  void tlsChangesTheMembersAddressesAndProbe() {
    PostgresCluster cluster = Clusters.basic(3);
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(true);
    cluster.getSpec().setTls(tls);
    var template = ClusterStatefulSet.build(cluster, "img:16").getSpec().getTemplate();
    var postgres = template.getSpec().getContainers().get(0);
    assertThat(postgres.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("PATRONI_POSTGRESQL_CONNECT_ADDRESS");
              assertThat(e.getValue()).isEqualTo("$(PATRONI_NAME).db-pods.ns.svc:5432");
            });
    assertThat(postgres.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
    assertThat(postgres.getLivenessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
    assertThat(postgres.getStartupProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
    assertThat(template.getSpec().getVolumes())
        .anySatisfy(
            v ->
                assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName())
                    .isEqualTo("db-tls"));
    String patroni = SidecarObjects.class.getName(); // keep import order simple
    assertThat(patroni).isNotEmpty();
    var config = PatroniConfig.build(cluster);
    assertThat(config.toString())
        .contains("ssl=on")
        .contains("sslmode=verify-full")
        .contains("certfile=/etc/postgresql/tls/tls.crt");
  }
}
