package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClusterSecretsTest {

  @Test
  void credentialsHoldSuperuserNameAndAStrongPassword() {
    Secret secret = ClusterSecrets.credentials(Clusters.basic(1));
    assertThat(secret.getMetadata().getName()).isEqualTo("db-credentials");
    assertThat(secret.getStringData()).containsEntry("username", "postgres");
    assertThat(secret.getStringData().get("password")).hasSize(32).matches("[A-Za-z0-9]+");
  }

  @Test
  void replicationHoldsReplicationRewindAndRestApiUsers() {
    Secret secret = ClusterSecrets.replication(Clusters.basic(1));
    assertThat(secret.getMetadata().getName()).isEqualTo("db-replication");
    assertThat(secret.getStringData())
        .containsEntry("username", "replicator")
        .containsKeys(
            "password",
            "rewind-username",
            "rewind-password",
            "restapi-username",
            "restapi-password");
  }

  @Test
  void passwordsDoNotRepeat() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      assertThat(seen.add(ClusterSecrets.password())).isTrue();
    }
  }
}
