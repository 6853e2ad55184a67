package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.pgtrickle.operator.api.PatroniSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.TlsSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PatroniConfigTest {

  @Test
  @SuppressWarnings("unchecked")
  void kubernetesDcsWithConfigMapsAndRoleLabels() {
    Map<String, Object> config = PatroniConfig.build(Clusters.basic(3));
    assertThat(config).containsEntry("scope", "db");
    Map<String, Object> k8s = (Map<String, Object>) config.get("kubernetes");
    assertThat(k8s)
        .containsEntry("use_endpoints", false)
        .containsEntry("role_label", "postgres.example.com/role")
        .containsEntry("leader_label_value", "primary")
        .containsEntry("follower_label_value", "replica")
        .containsEntry("scope_label", "postgres.example.com/patroni-scope");
  }

  @Test
  void defaultTimingsMeetTheRecoveryObjective() {
    Map<String, Object> dcs = PatroniConfig.dynamic(Clusters.basic(3));
    assertThat(dcs)
        .containsEntry("ttl", 20)
        .containsEntry("loop_wait", 2)
        .containsEntry("retry_timeout", 3)
        // A crashed primary gets 10 s to come back, not Patroni's 300 (an unreachable backup
        // repository held its crash recovery for minutes).
        .containsEntry("primary_start_timeout", 10);
    assertThat(dcs).containsEntry("synchronous_mode", false);
  }

  @Test
  void primaryStartTimeoutIsTheUsersWhenGiven() {
    PostgresCluster cluster = Clusters.basic(3);
    PatroniSpec patroni = new PatroniSpec();
    patroni.setPrimaryStartTimeout(0);
    cluster.getSpec().setPatroni(patroni);
    assertThat(PatroniConfig.dynamic(cluster))
        .containsEntry("primary_start_timeout", 0)
        .containsEntry("ttl", 20);
  }

  @Test
  @SuppressWarnings("unchecked")
  void synchronousIsStrictAndRewindIsOn() {
    PostgresCluster cluster = Clusters.basic(3);
    cluster.getSpec().setSynchronous(true);
    PatroniSpec timings = new PatroniSpec();
    timings.setTtl(30);
    cluster.getSpec().setPatroni(timings);
    Map<String, Object> dcs = PatroniConfig.dynamic(cluster);
    assertThat(dcs)
        .containsEntry("synchronous_mode", true)
        .containsEntry("synchronous_mode_strict", true)
        .containsEntry("ttl", 30);
    assertThat((Map<String, Object>) dcs.get("postgresql")).containsEntry("use_pg_rewind", true);
  }

  @Test
  @SuppressWarnings("unchecked")
  void aMemberThatPgRewindCannotBringBackIsClonedAgainFromThePrimary() {
    // In the dynamic configuration, so running clusters get it by PATCH /config (no restart).
    Map<String, Object> postgresql =
        (Map<String, Object>) PatroniConfig.dynamic(Clusters.basic(3)).get("postgresql");
    assertThat(postgresql)
        .containsEntry("remove_data_directory_on_rewind_failure", true)
        .containsEntry("remove_data_directory_on_diverged_timelines", true);
    Map<String, Object> local =
        (Map<String, Object>) PatroniConfig.local(Clusters.basic(3)).get("postgresql");
    assertThat(local).doesNotContainKey("remove_data_directory_on_rewind_failure");
  }

  @Test
  @SuppressWarnings("unchecked")
  void replicasSendHotStandbyFeedbackUnlessTheUserSaysOtherwise() {
    Map<String, Object> parameters =
        (Map<String, Object>)
            ((Map<String, Object>) PatroniConfig.dynamic(Clusters.basic(3)).get("postgresql"))
                .get("parameters");
    assertThat(parameters).containsEntry("hot_standby_feedback", "on");
    PostgresCluster off = Clusters.basic(3);
    off.getSpec().setPostgresqlParams(Map.of("Hot_Standby_Feedback", "off"));
    parameters =
        (Map<String, Object>)
            ((Map<String, Object>) PatroniConfig.dynamic(off).get("postgresql")).get("parameters");
    assertThat(parameters).containsEntry("hot_standby_feedback", "off");
  }

  private static Map<String, Object> ignoreEntry(String name) {
    return Map.of("name", name, "type", "logical", "database", "app", "plugin", "pgoutput");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theDynamicConfigurationTurnsSlotSyncOnFrom17UnlessFeedbackIsOff() {
    // In the dynamic configuration, so running clusters get it by PATCH /config (a reload).
    PostgresCluster cluster = Clusters.basic(3);
    cluster.getSpec().setVersion(new io.fabric8.kubernetes.api.model.IntOrString(17));
    Map<String, Object> parameters =
        (Map<String, Object>)
            ((Map<String, Object>) PatroniConfig.dynamic(cluster).get("postgresql"))
                .get("parameters");
    assertThat(parameters).containsEntry("sync_replication_slots", "on");
    cluster.getSpec().setPostgresqlParams(Map.of("hot_standby_feedback", "off"));
    parameters =
        (Map<String, Object>)
            ((Map<String, Object>) PatroniConfig.dynamic(cluster).get("postgresql"))
                .get("parameters");
    assertThat(parameters)
        .containsEntry("hot_standby_feedback", "off")
        .doesNotContainKey("sync_replication_slots");
    assertThat(
            (Map<String, Object>)
                ((Map<String, Object>) PatroniConfig.dynamic(Clusters.basic(3)).get("postgresql"))
                    .get("parameters"))
        .doesNotContainKey("sync_replication_slots");
  }

  @Test
  @SuppressWarnings("unchecked")
  void onSixteenAndOlderARunningConsumersSlotIsPermanentAndOneBeingDroppedIsIgnored() {
    PostgresCluster cluster = Clusters.basic(3); // PostgreSQL 16
    Map<String, Object> none = PatroniConfig.dynamic(cluster);
    assertThat((Map<String, Object>) none.get("slots")).as("always given").isEmpty();
    assertThat((List<Object>) none.get("ignore_slots")).as("always given").isEmpty();
    for (int major : List.of(14, 15, 16)) {
      cluster.getSpec().setVersion(new IntOrString(major));
      Map<String, Object> dcs =
          PatroniConfig.dynamic(
              cluster,
              List.of(
                  new PipelineSlot("pgtrickle_b_0", "app", true),
                  new PipelineSlot("pgtrickle_a_1", "app", false),
                  new PipelineSlot("pgtrickle_a_0", "app", true),
                  new PipelineSlot("pgtrickle_a_0", "app", true)));
      // Patroni creates these on the primary and keeps a copy on each replica: a switchover or
      // failover finds the slot (no failover slots before 17).
      assertThat((Map<String, Object>) dcs.get("slots"))
          .as("PostgreSQL " + major)
          .containsExactly(
              Map.entry(
                  "pgtrickle_a_0",
                  Map.of("type", "logical", "database", "app", "plugin", "pgoutput")),
              Map.entry(
                  "pgtrickle_b_0",
                  Map.of("type", "logical", "database", "app", "plugin", "pgoutput")));
      // Being dropped by its decommission Job: Patroni must neither create it again nor drop it
      // while its consumer confirms its last batch.
      assertThat((List<Map<String, Object>>) dcs.get("ignore_slots"))
          .as("PostgreSQL " + major)
          .containsExactly(ignoreEntry("pgtrickle_a_1"));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void onSeventeenAndLaterEverySlotIsIgnoredAsBefore() {
    PostgresCluster cluster = Clusters.basic(3);
    for (int major : List.of(17, 18)) {
      cluster.getSpec().setVersion(new IntOrString(major));
      Map<String, Object> dcs =
          PatroniConfig.dynamic(
              cluster,
              List.of(
                  new PipelineSlot("pgtrickle_b_0", "app", true),
                  new PipelineSlot("pgtrickle_a_0", "app", false)));
      assertThat((Map<String, Object>) dcs.get("slots")).as("PostgreSQL " + major).isEmpty();
      assertThat((List<Map<String, Object>>) dcs.get("ignore_slots"))
          .as("PostgreSQL " + major + ": failover slots, which PostgreSQL's slot sync copies")
          .containsExactly(ignoreEntry("pgtrickle_a_0"), ignoreEntry("pgtrickle_b_0"));
    }
  }

  @Test
  void noPasswordInTheFile() {
    String yaml = ClusterConfigMaps.patroni(Clusters.basic(3)).getData().get("patroni.yml");
    assertThat(yaml).doesNotContainIgnoringCase("password:");
  }

  @Test
  void tlsRequiresSslForRemoteClients() {
    PostgresCluster cluster = Clusters.basic(3);
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(true);
    cluster.getSpec().setTls(tls);
    assertThat(PatroniConfig.pgHba(cluster))
        .allMatch(l -> !l.startsWith("host ") || l.contains("127.0.0.1"));
  }

  /**
   * With TLS, Patroni's replication connection to its own member goes over the socket: over TCP
   * verify-full would check the certificate against an IP address, fail, and leave an old primary
   * that needs pg_rewind never rewound.
   */
  @Test
  void withTlsPatroniReachesItsOwnMemberOverTheSocket() {
    PostgresCluster cluster = Clusters.basic(3);
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(true);
    cluster.getSpec().setTls(tls);
    String yaml = ClusterConfigMaps.patroni(cluster).getData().get("patroni.yml");
    assertThat(yaml).contains("use_unix_socket_repl: true");
    assertThat(PatroniConfig.pgHba(cluster)).contains("local replication replicator scram-sha-256");
  }

  /**
   * With the operator as the CA, remote replication needs the replication user's client certificate
   * as well as its password, and Patroni presents it; with a user's (or cert-manager's) certificate
   * the operator has no CA key to issue one, and replication stays password over TLS.
   */
  @Test
  @SuppressWarnings("unchecked")
  void withTheOperatorsCaReplicationNeedsTheClientCertificate() {
    PostgresCluster cluster = Clusters.basic(3);
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(true);
    cluster.getSpec().setTls(tls);
    assertThat(PatroniConfig.pgHba(cluster))
        .contains(
            "hostssl replication replicator 0.0.0.0/0 scram-sha-256 clientcert=verify-full",
            "hostssl replication replicator ::/0 scram-sha-256 clientcert=verify-full",
            "local replication replicator scram-sha-256");
    Map<String, Object> auth =
        (Map<String, Object>)
            ((Map<String, Object>) PatroniConfig.build(cluster).get("postgresql"))
                .get("authentication");
    assertThat((Map<String, Object>) auth.get("replication"))
        .containsEntry("sslmode", "verify-full")
        .containsEntry("sslcert", "/etc/postgresql/replication-tls/tls.crt")
        .containsEntry("sslkey", "/etc/postgresql/replication-tls/tls.key");
    assertThat((Map<String, Object>) auth.get("rewind")).doesNotContainKey("sslcert");
    assertThat(
            (Map<String, Object>)
                ((Map<String, Object>) PatroniConfig.build(cluster).get("postgresql"))
                    .get("parameters"))
        .containsEntry("ssl_ca_file", "/etc/postgresql/tls/ca.crt");
    var pod = ClusterStatefulSet.build(cluster, "img:16").getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo("replication-tls");
              assertThat(v.getSecret().getSecretName()).isEqualTo("db-replication-tls");
              assertThat(v.getSecret().getDefaultMode()).isEqualTo(0640);
            });

    tls.setCertSecret("postgres-tls");
    assertThat(PatroniConfig.pgHba(cluster))
        .contains("hostssl replication replicator 0.0.0.0/0 scram-sha-256")
        .noneMatch(l -> l.contains("clientcert"));
    auth =
        (Map<String, Object>)
            ((Map<String, Object>) PatroniConfig.build(cluster).get("postgresql"))
                .get("authentication");
    assertThat((Map<String, Object>) auth.get("replication")).doesNotContainKey("sslcert");
    assertThat(
            (Map<String, Object>)
                ((Map<String, Object>) PatroniConfig.build(cluster).get("postgresql"))
                    .get("parameters"))
        .doesNotContainKey("ssl_ca_file");
    assertThat(ClusterStatefulSet.build(cluster, "img:16").getSpec().getTemplate().getSpec())
        .satisfies(
            p -> assertThat(p.getVolumes()).noneMatch(v -> v.getName().equals("replication-tls")));
  }
}
