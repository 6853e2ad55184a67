package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.api.PostgresCluster;
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
