package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.pgtrickle.operator.api.PostgresCluster;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PostgresqlParametersTest {

  @Test
  void defaultsAreSizedFromTheMemoryLimit() {
    Map<String, String> params = PostgresqlParameters.effective(Clusters.withMemoryLimit("4Gi"));
    assertThat(params)
        .containsEntry("shared_buffers", "1024MB")
        .containsEntry("effective_cache_size", "3072MB")
        .containsEntry("maintenance_work_mem", "256MB")
        .containsEntry("wal_level", "logical")
        .containsEntry("max_wal_senders", "13")
        .containsEntry("password_encryption", "scram-sha-256");
  }

  /**
   * WAL is kept and made between checkpoints in proportion to the data volume: 1GB and 2GB on a 1Gi
   * volume filled it under a steady write load.
   */
  @Test
  void walIsSizedFromTheVolume() {
    for (var c :
        List.of(
            List.of("1Gi", "128MB", "256MB"),
            List.of("4Gi", "512MB", "1024MB"),
            List.of("10Gi", "1024MB", "2048MB"),
            List.of("100Gi", "1024MB", "2048MB"),
            List.of("128Mi", "32MB", "64MB"))) {
      PostgresCluster cluster = Clusters.basic(1);
      cluster.getSpec().getStorage().setSize(c.get(0));
      assertThat(PostgresqlParameters.effective(cluster))
          .as(c.get(0))
          .containsEntry("wal_keep_size", c.get(1))
          .containsEntry("max_wal_size", c.get(2));
    }
  }

  @Test
  void withoutResourcesASmallDefaultIsAssumed() {
    assertThat(PostgresqlParameters.effective(Clusters.basic(1)))
        .containsEntry("shared_buffers", "128MB");
  }

  @Test
  void userParametersWin() {
    PostgresCluster cluster = Clusters.withMemoryLimit("4Gi");
    cluster
        .getSpec()
        .setPostgresqlParams(Map.of("shared_buffers", "2GB", "max_connections", "200"));
    assertThat(PostgresqlParameters.effective(cluster))
        .containsEntry("shared_buffers", "2GB")
        .containsEntry("max_connections", "200");
    assertThat(PostgresqlParameters.rejected(cluster)).isEmpty();
  }

  @Test
  void userNamesReplaceDefaultsWhateverTheirCase() {
    PostgresCluster cluster = Clusters.withMemoryLimit("4Gi");
    cluster.getSpec().setPostgresqlParams(Map.of("Shared_Buffers", "2GB"));
    assertThat(PostgresqlParameters.effective(cluster))
        .containsEntry("shared_buffers", "2GB")
        .doesNotContainKey("Shared_Buffers");
  }

  @Test
  void standbysSynchronizeFailoverSlotsByDefaultFromPostgresql17() {
    PostgresCluster cluster = Clusters.basic(3);
    for (String version : List.of("17", "18")) {
      cluster.getSpec().setVersion(new IntOrString(version));
      assertThat(PostgresqlParameters.effective(cluster))
          .as("PostgreSQL " + version)
          .containsEntry("sync_replication_slots", "on")
          .containsEntry("hot_standby_feedback", "on");
    }
    // 14 to 16 have no such parameter (PostgreSQL would refuse to start with it).
    for (String version : List.of("14", "15", "16")) {
      cluster.getSpec().setVersion(new IntOrString(version));
      assertThat(PostgresqlParameters.effective(cluster))
          .as("PostgreSQL " + version)
          .doesNotContainKey("sync_replication_slots");
    }
  }

  @Test
  void theUsersSyncReplicationSlotsWinsWhateverItsCase() {
    PostgresCluster cluster = Clusters.basic(3);
    cluster.getSpec().setVersion(new IntOrString("17"));
    cluster.getSpec().setPostgresqlParams(Map.of("Sync_Replication_Slots", "off"));
    assertThat(PostgresqlParameters.effective(cluster))
        .containsEntry("sync_replication_slots", "off")
        .doesNotContainKey("Sync_Replication_Slots");
    cluster.getSpec().setPostgresqlParams(Map.of("sync_replication_slots", "true"));
    assertThat(PostgresqlParameters.effective(cluster))
        .containsEntry("sync_replication_slots", "true");
  }

  @Test
  void noSlotSyncByDefaultWhereTheUsersParametersKeepPostgresqlFromRunningIt() {
    PostgresCluster cluster = Clusters.basic(3);
    cluster.getSpec().setVersion(new IntOrString("17"));
    // ParameterCheck refuses sync_replication_slots on beside either, so the default must not
    // produce that pair: it stays off, and the FailoverSlotsSynchronized condition says why.
    for (Map<String, String> user :
        List.of(
            Map.of("hot_standby_feedback", "off"),
            Map.of("Hot_Standby_Feedback", "0"),
            Map.of("wal_level", "replica"))) {
      cluster.getSpec().setPostgresqlParams(user);
      Map<String, String> params = PostgresqlParameters.effective(cluster);
      assertThat(params).as(user.toString()).doesNotContainKey("sync_replication_slots");
      assertThat(ParameterCheck.check(17, params)).as(user.toString()).isEmpty();
    }
    // Feedback on in another spelling does not stand in the way.
    cluster.getSpec().setPostgresqlParams(Map.of("hot_standby_feedback", "yes"));
    assertThat(PostgresqlParameters.effective(cluster))
        .containsEntry("sync_replication_slots", "on");
  }

  @Test
  void slotSyncBlockerNamesTheParameter() {
    assertThat(PostgresqlParameters.slotSyncBlocker(Map.of("hot_standby_feedback", "off")))
        .contains("hot_standby_feedback off");
    assertThat(PostgresqlParameters.slotSyncBlocker(Map.of("wal_level", "minimal")))
        .contains("wal_level minimal");
    assertThat(
            PostgresqlParameters.slotSyncBlocker(
                Map.of("hot_standby_feedback", "on", "wal_level", "Logical")))
        .isEmpty();
    assertThat(PostgresqlParameters.slotSyncBlocker(Map.of())).isEmpty();
  }

  @Test
  void parametersTheOperatorOwnsAreRejected() {
    PostgresCluster cluster = Clusters.basic(1);
    cluster
        .getSpec()
        .setPostgresqlParams(Map.of("port", "5433", "Data_Directory", "/x", "work_mem", "8MB"));
    assertThat(PostgresqlParameters.rejected(cluster)).containsExactly("Data_Directory", "port");
  }

  @Test
  void renderQuotesValues() {
    assertThat(PostgresqlParameters.render(Map.of("search_path", "a, 'b'")))
        .contains("search_path = 'a, ''b'''");
  }
}
