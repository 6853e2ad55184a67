package io.pgtrickle.operator.postgres.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.TlsSpec;
import io.pgtrickle.operator.postgres.spec.ClusterConfigMaps;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.postgres.spec.Clusters;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TLS turned on for a running cluster: a transition template first, then full TLS. */
class TlsTransitionTest {

  private static final PostgresCluster PLAIN = Clusters.basic(3);
  private static final PostgresCluster TLS = tls();

  @Test
  void aNewTlsClusterAndOneWhoseMembersAllServeTlsNeedNoTransition() {
    assertThat(needed(TLS, null, List.of())).isFalse();
    StatefulSet full = ClusterStatefulSet.build(TLS, "postgres:16", 0, null, false);
    assertThat(needed(TLS, full, pods(full, 3))).isFalse();
    // A member restarted (being created again) on full TLS is no reason for a transition.
    assertThat(needed(TLS, full, pods(full, 2))).isFalse();
    // Nor is anything with TLS off.
    StatefulSet plain = ClusterStatefulSet.build(PLAIN, "postgres:16");
    assertThat(needed(PLAIN, plain, pods(plain, 3))).isFalse();
  }

  @Test
  void turningTlsOnIsATransitionWhileAMemberRunsWithoutTlsOrIsBeingCreatedOnTheTransition() {
    StatefulSet plain = ClusterStatefulSet.build(PLAIN, "postgres:16");
    StatefulSet transition = ClusterStatefulSet.build(TLS, "postgres:16", 0, null, true);
    assertThat(needed(TLS, plain, pods(plain, 3))).isTrue();
    List<Pod> mixed = List.of(pod(transition, 2), pod(transition, 1), pod(plain, 0));
    assertThat(needed(TLS, transition, mixed)).isTrue();
    // The last member without TLS is gone and not yet created again: still the transition.
    assertThat(needed(TLS, transition, mixed.subList(0, 2))).isTrue();
    // Every member on the transition: full TLS next.
    assertThat(needed(TLS, transition, pods(transition, 3))).isFalse();
  }

  /**
   * The transition's pods serve TLS as with full TLS, but replication prefers TLS instead of
   * verifying it (the old primary has SSL off); its template differs from full TLS's, so the
   * members roll again once every one runs it.
   */
  @Test
  void theTransitionServesTlsButReplicationOnlyPrefersIt() {
    StatefulSet transition = ClusterStatefulSet.build(TLS, "postgres:16", 0, null, true);
    StatefulSet full = ClusterStatefulSet.build(TLS, "postgres:16", 0, null, false);
    Member during = Member.of(pod(transition, 0));
    Member after = Member.of(pod(full, 0));
    assertThat(during.tlsSecret()).isEqualTo("db-tls");
    assertThat(during.patroniHttps()).isTrue();
    assertThat(after.tlsSecret()).isEqualTo("db-tls");
    assertThat(after.patroniHttps()).isTrue();
    assertThat(during.restartHash()).isNotEqualTo(after.restartHash());

    String yaml = ClusterConfigMaps.patroni(TLS, null, true).getData().get("patroni.yml");
    assertThat(yaml).contains("certfile").contains("cacert").contains("ssl: \"on\"");
    assertThat(yaml).contains("sslmode: \"prefer\"").doesNotContain("sslmode: \"verify-full\"");
    String fullYaml = ClusterConfigMaps.patroni(TLS, null, false).getData().get("patroni.yml");
    assertThat(fullYaml).contains("certfile").contains("sslmode: \"verify-full\"");
  }

  /**
   * TLS off while members still serve it, with the operator's CA (client certificates): the
   * transition keeps their certificates but requires none of replicas, then TLS goes.
   */
  @Test
  void turningTlsOffIsATransitionWhileAMemberRunsFullTlsAndItsSecretsExist() {
    StatefulSet full = ClusterStatefulSet.build(TLS, "postgres:16", 0, null, false);
    TlsTransition.Decision off =
        TlsTransition.decide(
            PLAIN, full, pods(full, 3), name -> new io.fabric8.kubernetes.api.model.Secret());
    assertThat(off.transition()).isTrue();
    StatefulSet transition =
        ClusterStatefulSet.build(off.buildFrom(), "postgres:16", 0, null, true);
    Member during = Member.of(pod(transition, 2));
    assertThat(during.tlsSecret()).isEqualTo("db-tls");
    assertThat(pod(transition, 2).getSpec().getVolumes())
        .anyMatch(v -> "replication-tls".equals(v.getName()));
    String yaml =
        ClusterConfigMaps.patroni(off.buildFrom(), null, true).getData().get("patroni.yml");
    assertThat(yaml).doesNotContain("clientcert").contains("sslmode: \"prefer\"");
    // The spec itself is left alone.
    assertThat(PLAIN.getSpec().getTls()).isNull();
    // Every member on the transition (or off): TLS goes.
    assertThat(
            TlsTransition.decide(PLAIN, transition, pods(transition, 3), name -> null).transition())
        .isFalse();
    // Without the Secrets the transition's pods could not start: one roll.
    assertThat(TlsTransition.decide(PLAIN, full, pods(full, 3), name -> null).transition())
        .isFalse();
  }

  private static boolean needed(PostgresCluster cluster, StatefulSet existing, List<Pod> pods) {
    return TlsTransition.decide(cluster, existing, pods, name -> null).transition();
  }

  private static List<Pod> pods(StatefulSet sts, int count) {
    return java.util.stream.IntStream.range(0, count).mapToObj(i -> pod(sts, i)).toList();
  }

  private static Pod pod(StatefulSet sts, int ordinal) {
    var template = sts.getSpec().getTemplate();
    return new PodBuilder()
        .withMetadata(
            new ObjectMetaBuilder(template.getMetadata())
                .withName("db-" + ordinal)
                .withNamespace("ns")
                .build())
        .withSpec(template.getSpec())
        .build();
  }

  private static PostgresCluster tls() {
    PostgresCluster cluster = Clusters.basic(3);
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(true);
    cluster.getSpec().setTls(tls);
    return cluster;
  }
}
