package io.pgtrickle.operator.backup.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.api.EncryptionSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class RepositoryCipherTest {

  private static PostgresCluster cluster(Boolean enabled, String keySecret) {
    PostgresCluster cluster = new PostgresCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("db").withNamespace("ns").build());
    PostgresClusterSpec spec = new PostgresClusterSpec();
    if (enabled != null) {
      EncryptionSpec encryption = new EncryptionSpec();
      encryption.setEnabled(enabled);
      encryption.setKeySecret(keySecret);
      BackupSpec backup = new BackupSpec();
      backup.setEncryption(encryption);
      spec.setBackup(backup);
    }
    cluster.setSpec(spec);
    return cluster;
  }

  @Test
  void onlyAnEncryptedRepositoryNeedsAPassphrase() {
    assertThat(RepositoryCipher.needed(cluster(null, null))).isFalse();
    assertThat(RepositoryCipher.needed(cluster(false, null))).isFalse();
    assertThat(RepositoryCipher.needed(cluster(true, null))).isTrue();
  }

  @Test
  void theSecretIsKeySecretOrElseTheGeneratedOne() {
    assertThat(RepositoryCipher.secretName(cluster(true, "mine"))).isEqualTo("mine");
    assertThat(RepositoryCipher.secretName(cluster(true, null))).isEqualTo("db-pgbackrest-cipher");
    assertThat(RepositoryCipher.generatedFor("db-pgbackrest-cipher")).isEqualTo("db");
    assertThat(RepositoryCipher.generatedFor("-pgbackrest-cipher")).isNull();
    assertThat(RepositoryCipher.generatedFor("mine")).isNull();
  }

  @Test
  void aGeneratedPassphraseIs48RandomBytesInItsOwnSecretWithoutOwner() {
    Secret first = RepositoryCipher.generated(cluster(true, null));
    Secret second = RepositoryCipher.generated(cluster(true, null));
    assertThat(first.getMetadata().getName()).isEqualTo("db-pgbackrest-cipher");
    assertThat(first.getMetadata().getNamespace()).isEqualTo("ns");
    assertThat(first.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(first.getMetadata().getAnnotations().get(RepositoryCipher.NOTE_ANNOTATION))
        .contains("stays when the cluster is deleted");
    String passphrase = first.getStringData().get(PgBackRest.PASSPHRASE);
    assertThat(Base64.getDecoder().decode(passphrase)).hasSize(48);
    assertThat(passphrase).isNotEqualTo(second.getStringData().get(PgBackRest.PASSPHRASE));
    // keySecret named but missing: generated under that name (the sample's promise).
    assertThat(RepositoryCipher.generated(cluster(true, "mine")).getMetadata().getName())
        .isEqualTo("mine");
  }
}
