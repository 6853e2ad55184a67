package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.api.MetricsSpec;
import io.pgtrickle.operator.api.PgBouncerSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A pod is ready only when every container is, and readiness is what puts a member behind
 * NAME-primary and NAME-pooler: so only PostgreSQL (Patroni's health) and PgBouncer (the pooler
 * Service's target) have readiness probes; the pgBackRest TLS server and the exporter are restarted
 * when they stop answering, and never take the database out of its Services.
 */
class SidecarProbesTest {

  @Test
  void onlyPostgresqlAndPgBouncerDecideWhetherAMemberIsReady() {
    PostgresCluster cluster = Clusters.basic(3);
    PgBouncerSpec pgbouncer = new PgBouncerSpec();
    pgbouncer.setEnabled(true);
    cluster.getSpec().setPgbouncer(pgbouncer);
    MetricsSpec metrics = new MetricsSpec();
    metrics.setEnabled(true);
    cluster.getSpec().setMetrics(metrics);
    // spec.backup (a volume repository, the default): the pgBackRest TLS server joins the pod.
    cluster.getSpec().setBackup(new BackupSpec());

    Map<String, Container> containers =
        ClusterStatefulSet.build(cluster, "img:16")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .stream()
            .collect(Collectors.toMap(Container::getName, Function.identity()));

    assertThat(containers).containsOnlyKeys("postgres", "pgbackrest", "pgbouncer", "exporter");
    assertThat(containers.get("postgres").getReadinessProbe()).isNotNull();
    assertThat(containers.get("pgbouncer").getReadinessProbe().getTcpSocket()).isNotNull();
    assertThat(containers.get("pgbackrest").getReadinessProbe()).isNull();
    assertThat(containers.get("pgbackrest").getLivenessProbe().getTcpSocket().getPort().getStrVal())
        .isEqualTo("pgbackrest");
    assertThat(containers.get("exporter").getReadinessProbe()).isNull();
    assertThat(containers.get("exporter").getLivenessProbe().getHttpGet().getPath()).isEqualTo("/");
    assertThat(containers.get("exporter").getLivenessProbe().getTimeoutSeconds()).isEqualTo(5);
  }
}
