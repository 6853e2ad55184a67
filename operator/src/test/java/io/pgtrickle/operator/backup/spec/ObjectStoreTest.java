package io.pgtrickle.operator.backup.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/** pgBackRest's options, secrets and key file for GCS and Azure repositories. */
class ObjectStoreTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private static PostgresCluster cluster(String destination) {
    return YAML.unmarshal(
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: c\n"
            + "  namespace: ns\nspec:\n  version: 16\n  replicas: 1\n  storage:\n    size: 1Gi\n"
            + "  backup: {destination: "
            + destination
            + "}\n",
        PostgresCluster.class);
  }

  private static List<VolumeProjection> sources(PostgresCluster c) {
    return PgBackRest.volumes(c).get(0).getProjected().getSources();
  }

  @Test
  void gcsWithAServiceAccountKeyMountsKeyJsonAndPutsNoSecretInTheConfig() {
    PostgresCluster c = cluster("{type: GCS, bucket: b, credentialsSecret: gcs}");
    assertThat(PgBackRest.config(c))
        .contains("repo1-type=gcs\n")
        .contains("repo1-gcs-bucket=b\n")
        .contains("repo1-gcs-key-type=service\n")
        .contains("repo1-gcs-key=/etc/pgbackrest/gcs/key.json\n")
        .contains("repo1-path=/pgbackrest/ns/c\n")
        .doesNotContain("repo1-gcs-endpoint")
        .doesNotContain("repo1-storage-ca-file");
    assertThat(PgBackRest.env(c))
        .extracting(EnvVar::getName)
        .containsExactly("PGBACKREST_PG1_USER");
    // Besides the members' TLS server files (NAME-pgbackrest-tls), the key file.
    assertThat(sources(c))
        .filteredOn(s -> s.getSecret() != null && !s.getSecret().getName().endsWith("-tls"))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getSecret().getName()).isEqualTo("gcs");
              assertThat(s.getSecret().getItems().get(0).getKey()).isEqualTo("key.json");
              assertThat(s.getSecret().getItems().get(0).getPath()).isEqualTo("gcs/key.json");
            });
  }

  @Test
  void gcsWithATokenAndAnEndpointTakesTheTokenFromTheSecret() {
    PostgresCluster c =
        cluster(
            "{type: GCS, bucket: b, endpoint: 'https://127.0.0.1:4443', gcsKeyType: token,"
                + " credentialsSecret: gcs, caSecret: ca}");
    assertThat(PgBackRest.config(c))
        .contains("repo1-gcs-endpoint=127.0.0.1:4443\n")
        .contains("repo1-gcs-key-type=token\n")
        .contains("repo1-storage-ca-file=/etc/pgbackrest/ca/ca.crt\n")
        .doesNotContain("repo1-gcs-key=")
        .doesNotContain("repo1-storage-port");
    List<EnvVar> env = PgBackRest.env(c);
    assertThat(env)
        .extracting(EnvVar::getName)
        .containsExactly("PGBACKREST_PG1_USER", "PGBACKREST_REPO1_GCS_KEY");
    assertThat(env.get(1).getValue()).isNull();
    assertThat(env.get(1).getValueFrom().getSecretKeyRef().getName()).isEqualTo("gcs");
    assertThat(env.get(1).getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
    // The members' TLS server files and the CA only: no key file with a token.
    assertThat(sources(c))
        .filteredOn(s -> s.getSecret() != null)
        .extracting(s -> s.getSecret().getName())
        .containsExactly("c-pgbackrest-tls", "ca");
  }

  @Test
  void azureTakesAccountAndKeyFromTheSecretAndAnEndpointPathStyle() {
    PostgresCluster c =
        cluster(
            "{type: Azure, bucket: cont, endpoint: 'https://127.0.0.1:10000',"
                + " credentialsSecret: az}");
    assertThat(PgBackRest.config(c))
        .contains("repo1-type=azure\n")
        .contains("repo1-azure-container=cont\n")
        .contains("repo1-azure-endpoint=127.0.0.1\n")
        .contains("repo1-storage-port=10000\n")
        .contains("repo1-azure-uri-style=path\n")
        .doesNotContain("repo1-azure-account")
        .doesNotContain("repo1-azure-key");
    List<EnvVar> env = PgBackRest.env(c);
    assertThat(env)
        .extracting(EnvVar::getName)
        .containsExactly(
            "PGBACKREST_PG1_USER", "PGBACKREST_REPO1_AZURE_ACCOUNT", "PGBACKREST_REPO1_AZURE_KEY");
    assertThat(env.subList(1, 3))
        .extracting(e -> e.getValueFrom().getSecretKeyRef().getKey())
        .containsExactly("AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY");
    // Azure's own endpoint (ACCOUNT.blob.core.windows.net, host style) without one.
    assertThat(PgBackRest.config(cluster("{type: Azure, bucket: cont, credentialsSecret: az}")))
        .doesNotContain("repo1-azure-endpoint")
        .doesNotContain("uri-style");
  }

  @Test
  void aRestoreReadsTheSourcesStoreUnderNamesOfItsOwn() {
    PostgresCluster source =
        cluster("{type: GCS, bucket: b, credentialsSecret: gcs, caSecret: ca}");
    RestoreSource restore = new RestoreSource("src", source.getSpec().getBackup(), "/p", null);
    source.getMetadata().setUid("3f6c1b2a-0000-4000-8000-000000000001");
    assertThat(
            RestoreBootstrap.configFiles(source, restore).get(RestoreBootstrap.SOURCE_CONFIG_KEY))
        .contains("repo1-gcs-key=/etc/pgbackrest/source-gcs/key.json\n")
        .contains("repo1-storage-ca-file=/etc/pgbackrest/source-ca/ca.crt\n");
    assertThat(RestoreBootstrap.projections(source, restore))
        .filteredOn(s -> s.getSecret() != null)
        .extracting(s -> s.getSecret().getItems().get(0).getPath())
        .containsExactly("source-ca/ca.crt", "source-gcs/key.json");
    PostgresCluster azure = cluster("{type: Azure, bucket: cont, credentialsSecret: az}");
    assertThat(
            RestoreBootstrap.env(new RestoreSource("src", azure.getSpec().getBackup(), "/p", null)))
        .extracting(EnvVar::getName)
        .containsExactly("RESTORE_SOURCE_REPO1_AZURE_ACCOUNT", "RESTORE_SOURCE_REPO1_AZURE_KEY");
  }

  @Test
  void describeNamesTheStoreTheBucketTheEndpointAndThePath() {
    PostgresCluster s3 =
        cluster("{type: S3, bucket: backups, endpoint: 'https://127.0.0.1:9000', region: r}");
    assertThat(
            ObjectStore.describe(
                s3.getSpec().getBackup().getDestination(), PgBackRest.repositoryPath(s3)))
        .isEqualTo("S3 bucket backups at https://127.0.0.1:9000, path /pgbackrest/ns/c");
    PostgresCluster gcs = cluster("{type: GCS, bucket: b, credentialsSecret: gcs}");
    assertThat(ObjectStore.describe(gcs.getSpec().getBackup().getDestination(), "/p"))
        .isEqualTo("GCS bucket b, path /p");
    assertThat(ObjectStore.describe(null, "/p")).isEqualTo("volume, path /p");
  }
}
