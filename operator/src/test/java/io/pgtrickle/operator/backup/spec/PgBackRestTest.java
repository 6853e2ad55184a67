package io.pgtrickle.operator.backup.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.ClusterConfigMaps;
import io.pgtrickle.operator.postgres.spec.PostgresqlParameters;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgBackRestTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private static PostgresCluster cluster(String backup) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: c\n"
            + "  namespace: ns\nspec:\n  version: 16\n  replicas: 1\n  storage:\n    size: 1Gi\n"
            + (backup == null ? "" : "  backup: " + backup + "\n");
    return YAML.unmarshal(yaml, PostgresCluster.class);
  }

  @Test
  void aVolumeRepositoryIsAReadWriteManyClaimEveryMemberMounts() {
    PostgresCluster c = cluster("{destination: {type: PVC, size: 5Gi}}");
    assertThat(PgBackRest.config(c))
        .contains("repo1-type=posix\n")
        .contains("repo1-path=/pgbackrest-repo/pgbackrest/ns/c\n")
        .contains("repo1-bundle=y\n")
        .doesNotContain("s3");
    var claim = PgBackRest.repositoryVolume(c);
    assertThat(claim.getMetadata().getName()).isEqualTo("c-pgbackrest-repo");
    assertThat(claim.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
    assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
        .isEqualTo("5Gi");
    assertThat(PgBackRest.volumes(c))
        .filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .singleElement()
        .satisfies(
            v ->
                assertThat(v.getPersistentVolumeClaim().getClaimName())
                    .isEqualTo("c-pgbackrest-repo"));
    assertThat(PgBackRest.volumeMounts(c))
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/pgbackrest-repo"));
    // The default type, sized like the cluster's storage.
    PostgresCluster d = cluster("{}");
    assertThat(PgBackRest.config(d)).contains("repo1-type=posix\n");
    assertThat(
            PgBackRest.repositoryVolume(d)
                .getSpec()
                .getResources()
                .getRequests()
                .get("storage")
                .toString())
        .isEqualTo("1Gi");
  }

  @Test
  void anS3CompatibleRepositoryWithItsCaAndEncryption() {
    PostgresCluster c =
        cluster(
            "{compression: lz4, encryption: {enabled: true, keySecret: pass}, destination: {type:"
                + " S3, bucket: b, region: r, endpoint: 'https://minio.example:9000',"
                + " credentialsSecret: creds, caSecret: ca}}");
    String conf = PgBackRest.config(c);
    assertThat(conf)
        .contains("repo1-type=s3\n")
        .contains("repo1-path=/pgbackrest/ns/c\n")
        .contains("repo1-s3-bucket=b\n")
        .contains("repo1-s3-endpoint=minio.example\n")
        .contains("repo1-storage-port=9000\n")
        .contains("repo1-s3-uri-style=path\n")
        .contains("repo1-storage-ca-file=/etc/pgbackrest/ca/ca.crt\n")
        .contains("repo1-cipher-type=aes-256-cbc\n")
        .contains("compress-type=lz4\n")
        .doesNotContain("compress-level")
        .contains("[db]\npg1-path=/var/lib/postgresql/data/pgdata\n")
        .contains("[global:archive-push]\nio-timeout=10\n")
        .contains("[global:archive-get]\nio-timeout=10\n")
        // No secret: only the TLS server's key file name (the key itself is a Secret's file).
        .doesNotContain("s3-key")
        .doesNotContain("key=")
        .contains("tls-server-key-file=/etc/pgbackrest/tls/tls.key\n")
        .doesNotContain("pass=");
    List<EnvVar> env = PgBackRest.env(c);
    assertThat(env)
        .extracting(EnvVar::getName)
        .containsExactly(
            "PGBACKREST_PG1_USER",
            "PGBACKREST_REPO1_S3_KEY",
            "PGBACKREST_REPO1_S3_KEY_SECRET",
            "PGBACKREST_REPO1_CIPHER_PASS");
    assertThat(env).allSatisfy(e -> assertThat(e.getValue()).isNull());
    assertThat(env.get(3).getValueFrom().getSecretKeyRef().getName()).isEqualTo("pass");
    assertThat(env.get(1).getValueFrom().getSecretKeyRef().getKey()).isEqualTo("AWS_ACCESS_KEY_ID");
    // The configuration, the TLS server's files (every member serves backups), the endpoint's CA.
    assertThat(PgBackRest.volumes(c).get(0).getProjected().getSources()).hasSize(3);
    assertThat(ClusterConfigMaps.patroni(c).getData()).containsKey("pgbackrest.conf");
    assertThat(PostgresqlParameters.effective(c))
        .containsEntry("archive_mode", "on")
        .containsEntry("archive_command", "pgbackrest --stanza=db archive-push \"%p\"");
  }

  @Test
  void awsS3AndZstdByDefault() {
    String conf =
        PgBackRest.config(
            cluster(
                "{destination: {type: S3, bucket: b, region: eu-west-1, path: /p,"
                    + " credentialsSecret: creds}}"));
    assertThat(conf)
        .contains("repo1-s3-endpoint=s3.eu-west-1.amazonaws.com\n")
        .contains("repo1-path=/p\n")
        .contains("compress-type=zst\ncompress-level=1\n")
        // Small files bundled; retention is the operator's, pgBackRest's own expiry off.
        .contains("repo1-bundle=y\n")
        .contains("repo1-retention-full=9999999\nexpire-auto=n\n")
        .doesNotContain("uri-style")
        .doesNotContain("cipher");
  }

  @Test
  void processMaxAppliesToTheBackupCommandOnly() {
    // Default 2 (CloudNativePG's default backup jobs); 1 when asked for.
    assertThat(PgBackRest.config(cluster("{}"))).contains("\n[global:backup]\nprocess-max=2\n");
    assertThat(PgBackRest.config(cluster("{processMax: 1}")))
        .contains("\n[global:backup]\nprocess-max=1\n");
    String conf = PgBackRest.config(cluster("{processMax: 3}"));
    assertThat(conf).contains("\n[global:backup]\nprocess-max=3\n");
    // Not in [global]: archive-push and restore keep one process.
    String global = conf.substring(0, conf.indexOf("\n[global:"));
    assertThat(global).doesNotContain("process-max");
  }

  @Test
  void withoutBackupNothingChanges() {
    PostgresCluster c = cluster(null);
    assertThat(PgBackRest.env(c)).isEmpty();
    assertThat(PgBackRest.volumes(c)).isEmpty();
    assertThat(ClusterConfigMaps.patroni(c).getData()).doesNotContainKey("pgbackrest.conf");
    assertThat(PostgresqlParameters.effective(c)).doesNotContainKey("archive_mode");
  }
}
