package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.ReclaimPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterStatefulSetTest {

  private static Container container(StatefulSet sts) {
    return sts.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  @Test
  void shapeOfTheStatefulSet() {
    StatefulSet sts = ClusterStatefulSet.build(Clusters.withMemoryLimit("2Gi"), "img:16");
    assertThat(sts.getMetadata().getName()).isEqualTo("db");
    assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
    assertThat(sts.getSpec().getServiceName()).isEqualTo("db-pods");
    assertThat(sts.getSpec().getUpdateStrategy().getType()).isEqualTo("OnDelete");
    assertThat(sts.getSpec().getVolumeClaimTemplates())
        .singleElement()
        .satisfies(
            pvc ->
                assertThat(pvc.getSpec().getResources().getRequests().get("storage"))
                    .isEqualTo(new Quantity("10Gi")));
    assertThat(sts.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted())
        .isEqualTo("Retain");
    assertThat(sts.getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo("db-patroni");
    assertThat(sts.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("postgres.example.com/patroni-scope", "db")
        .containsEntry("app.kubernetes.io/part-of", "pg-trickle");
    assertThat(container(sts).getImage()).isEqualTo("img:16");
    assertThat(container(sts).getResources().getLimits().get("memory"))
        .isEqualTo(new Quantity("2Gi"));
  }

  @Test
  void aGrownSizeKeepsTheLiveClaimTemplateWhichTheApiServerRefusesToChange() {
    StatefulSet live = ClusterStatefulSet.build(Clusters.withMemoryLimit("2Gi"), "img:16");
    PostgresCluster grown = Clusters.withMemoryLimit("2Gi");
    grown.getSpec().getStorage().setSize("20Gi");
    StatefulSet built = ClusterStatefulSet.build(grown, "img:16");
    StatefulSet desired = ClusterStatefulSet.keepingClaimSize(built, live);
    assertThat(desired.getSpec().getVolumeClaimTemplates())
        .isEqualTo(live.getSpec().getVolumeClaimTemplates());
    assertThat(desired.getSpec().getTemplate()).isEqualTo(built.getSpec().getTemplate());
    assertThat(
            built.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests())
        .as("the built one is not changed")
        .containsEntry("storage", new Quantity("20Gi"));
    assertThat(ClusterStatefulSet.keepingClaimSize(built, null)).isSameAs(built);
  }

  @Test
  void restrictedSecurityContext() {
    StatefulSet sts = ClusterStatefulSet.build(Clusters.basic(1), "img:16");
    var pod = sts.getSpec().getTemplate().getSpec().getSecurityContext();
    assertThat(pod.getRunAsNonRoot()).isTrue();
    assertThat(pod.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    var c = container(sts).getSecurityContext();
    assertThat(c.getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getReadOnlyRootFilesystem()).isTrue();
  }

  @Test
  void probesAsTheTicketAsks() {
    Container c = container(ClusterStatefulSet.build(Clusters.basic(1), "img:16"));
    // Patroni's /liveness rather than the ticket's pg_isready: PostgreSQL is down while a replica
    // is cloned or restored, for as long as the data takes (see ClusterStatefulSet).
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/liveness");
    assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("patroni");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/liveness");
    assertThat(c.getStartupProbe().getPeriodSeconds() * c.getStartupProbe().getFailureThreshold())
        .isEqualTo(60);
    assertThat(
            List.of(
                c.getLivenessProbe().getHttpGet().getScheme(),
                c.getStartupProbe().getHttpGet().getScheme()))
        .containsOnly("HTTP");
  }

  @Test
  void antiAffinityAndSpread() {
    var spec =
        ClusterStatefulSet.build(Clusters.basic(3), "img:16").getSpec().getTemplate().getSpec();
    assertThat(
            spec.getAffinity()
                .getPodAntiAffinity()
                .getPreferredDuringSchedulingIgnoredDuringExecution())
        .singleElement()
        .satisfies(
            t ->
                assertThat(t.getPodAffinityTerm().getTopologyKey())
                    .isEqualTo("kubernetes.io/hostname"));
    assertThat(spec.getTopologySpreadConstraints()).hasSize(1);
  }

  @Test
  void secretsOnlyThroughSecretKeyRefs() {
    Container c = container(ClusterStatefulSet.build(Clusters.basic(1), "img:16"));
    assertThat(c.getEnv())
        .filteredOn(e -> e.getName().endsWith("PASSWORD"))
        .allSatisfy(
            e -> {
              assertThat(e.getValue()).isNull();
              assertThat(e.getValueFrom().getSecretKeyRef()).isNotNull();
            });
  }

  @Test
  void resourcesDoNotChangeTheRestartHashButTheImageDoes() {
    String base = hash(Clusters.withMemoryLimit("1Gi"), "img:16");
    assertThat(hash(Clusters.withMemoryLimit("2Gi"), "img:16")).isEqualTo(base);
    assertThat(hash(Clusters.withMemoryLimit("1Gi"), "img:16.1")).isNotEqualTo(base);
  }

  @Test
  void reclaimPolicyDeleteRemovesVolumesWithTheCluster() {
    PostgresCluster cluster = Clusters.basic(1);
    cluster.getSpec().getStorage().setReclaimPolicy(ReclaimPolicy.Delete);
    assertThat(
            ClusterStatefulSet.build(cluster, "i")
                .getSpec()
                .getPersistentVolumeClaimRetentionPolicy()
                .getWhenDeleted())
        .isEqualTo("Delete");
  }

  private static String hash(PostgresCluster cluster, String image) {
    return ClusterStatefulSet.build(cluster, image)
        .getSpec()
        .getTemplate()
        .getMetadata()
        .getAnnotations()
        .get("postgres.example.com/restart-hash");
  }
}
