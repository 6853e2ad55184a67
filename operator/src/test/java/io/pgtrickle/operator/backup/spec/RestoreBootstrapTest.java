package io.pgtrickle.operator.backup.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.ClusterConfigMaps;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.postgres.spec.PatroniConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoreBootstrapTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private static PostgresCluster cluster(String name, String more) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: ns\n  uid: 00000000-0000-0000-0000-"
            + String.format("%012x", name.hashCode() & 0xffffffffL)
            + "\nspec:\n  version: 16\n  replicas: 2\n  storage:\n"
            + "    size: 1Gi\n"
            + more;
    return YAML.unmarshal(yaml, PostgresCluster.class);
  }

  private static final PostgresCluster SOURCE =
      cluster(
          "src",
          "  backup: {encryption: {enabled: true, keySecret: pass}, destination: {type: S3,"
              + " bucket: b, region: r, endpoint: 'https://s3.example:9000', credentialsSecret:"
              + " creds, caSecret: ca}}\n");

  private static PostgresCluster restored(String targetTime, String more) {
    return cluster(
        "copy",
        "  restore: {backupName: src-backup"
            + (targetTime == null ? "" : ", targetTime: '" + targetTime + "'")
            + "}\n"
            + more);
  }

  @Test
  void theTargetTimeIsGivenToPostgresqlAndPgbackrestInUtc() {
    assertThat(RestoreSource.targetTime("2024-01-15T01:30:00Z"))
        .isEqualTo("2024-01-15 01:30:00+00");
    assertThat(RestoreSource.targetTime("2024-01-15T03:30:00.25+02:00"))
        .isEqualTo("2024-01-15 01:30:00.250000+00");
    assertThat(RestoreSource.targetTime(null)).isNull();
  }

  @Test
  @SuppressWarnings("unchecked")
  void patroniBootstrapsByTheRestoreScriptAndPromotesAtTheTarget() {
    PostgresCluster copy = restored("2024-01-15T01:30:00Z", "");
    RestoreSource source = RestoreSource.of(copy, SOURCE);
    assertThat(source.repositoryPath()).isEqualTo("/pgbackrest/ns/src");
    Map<String, Object> bootstrap =
        (Map<String, Object>) PatroniConfig.build(copy, source).get("bootstrap");
    assertThat(bootstrap).containsEntry("method", RestoreBootstrap.METHOD).containsKey("dcs");
    Map<String, Object> method = (Map<String, Object>) bootstrap.get(RestoreBootstrap.METHOD);
    assertThat(method.get("command"))
        .isEqualTo("sh /etc/pgbackrest/restore.sh bootstrap '2024-01-15 01:30:00+00'");
    assertThat(method).containsEntry("no_params", true);
    assertThat((Map<String, Object>) method.get("recovery_conf"))
        .containsEntry("restore_command", "sh /etc/pgbackrest/restore.sh archive-get %f \"%p\"")
        .containsEntry("recovery_target_time", "2024-01-15 01:30:00+00")
        .containsEntry("recovery_target_action", "promote");
    // The source is only in bootstrap: members do not restart when it goes.
    Map<String, Object> rest = new java.util.LinkedHashMap<>(PatroniConfig.build(copy, source));
    rest.remove("bootstrap");
    assertThat(rest).isEqualTo(PatroniConfig.local(copy));
  }

  @Test
  @SuppressWarnings("unchecked")
  void toTheEndOfTheArchiveThereIsNoTarget() {
    PostgresCluster copy = restored(null, "");
    Map<String, Object> method =
        (Map<String, Object>)
            ((Map<String, Object>)
                    PatroniConfig.build(copy, RestoreSource.of(copy, SOURCE)).get("bootstrap"))
                .get(RestoreBootstrap.METHOD);
    assertThat(method.get("command")).isEqualTo("sh /etc/pgbackrest/restore.sh bootstrap");
    assertThat((Map<String, Object>) method.get("recovery_conf"))
        .doesNotContainKeys("recovery_target_time", "recovery_target_action");
  }

  @Test
  void theSourceRepositoryIsConfiguredApartAndItsSecretsAreReferencesUnderTheirOwnNames() {
    PostgresCluster copy =
        restored(
            null,
            "  backup: {destination: {type: S3, bucket: mine, region: r, credentialsSecret:"
                + " mine}}\n");
    RestoreSource source = RestoreSource.of(copy, SOURCE);
    Map<String, String> data = ClusterConfigMaps.patroni(copy, source).getData();
    assertThat(data.get("pgbackrest.conf")).contains("repo1-path=/pgbackrest/ns/copy\n");
    assertThat(data.get("restore-source.conf"))
        .contains("repo1-path=/pgbackrest/ns/src\n")
        .contains("repo1-s3-bucket=b\n")
        .contains("repo1-storage-ca-file=/etc/pgbackrest/source-ca/ca.crt\n")
        .contains("repo1-cipher-type=aes-256-cbc\n")
        .doesNotContain("pass=");
    assertThat(data.get("restore.sh")).startsWith("#!/bin/sh").contains("archive-get");

    StatefulSet sts = ClusterStatefulSet.build(copy, "img:16", 0, source);
    PodSpec pod = sts.getSpec().getTemplate().getSpec();
    Container postgres = pod.getContainers().get(0);
    assertThat(postgres.getEnv())
        .extracting(EnvVar::getName)
        .contains(
            "PGBACKREST_REPO1_S3_KEY",
            "RESTORE_SOURCE_REPO1_S3_KEY",
            "RESTORE_SOURCE_REPO1_S3_KEY_SECRET",
            "RESTORE_SOURCE_CIPHER_PASS");
    assertThat(postgres.getEnv())
        .filteredOn(e -> e.getName().startsWith("RESTORE_SOURCE_"))
        .allSatisfy(e -> assertThat(e.getValue()).isNull())
        .extracting(e -> e.getValueFrom().getSecretKeyRef().getName())
        .containsExactly("creds", "creds", "pass");
    Volume volume =
        pod.getVolumes().stream()
            .filter(v -> v.getName().equals(PgBackRest.VOLUME))
            .findFirst()
            .orElseThrow();
    // pgbackrest.conf and its CA (none here), the TLS server's files (every member of a cluster
    // with spec.backup serves the backup Jobs), the restore files, the source's CA.
    assertThat(volume.getProjected().getSources()).hasSize(4);
    assertThat(postgres.getVolumeMounts())
        .filteredOn(m -> m.getName().equals(PgBackRest.VOLUME))
        .hasSize(1);
  }

  @Test
  void withoutItsOwnBackupARestoredClusterStillMountsTheRestoreFiles() {
    PostgresCluster copy = restored(null, "");
    StatefulSet sts = ClusterStatefulSet.build(copy, "img:16", 0, RestoreSource.of(copy, SOURCE));
    Container postgres = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(postgres.getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/pgbackrest"));
    assertThat(postgres.getEnv()).extracting(EnvVar::getName).doesNotContain("PGPASSWORD");
    assertThat(ClusterConfigMaps.patroni(copy, RestoreSource.of(copy, SOURCE)).getData())
        .doesNotContainKey("pgbackrest.conf")
        .containsKeys("restore.sh", "restore-source.conf");
  }

  @Test
  void aSourceRepositoryOnAVolumeIsMountedReadOnlyBesideTheClustersOwn() {
    PostgresCluster source = cluster("src", "  backup: {destination: {type: PVC}}\n");
    PostgresCluster copy = restored(null, "  backup: {destination: {type: PVC}}\n");
    RestoreSource from = RestoreSource.of(copy, source);
    PodSpec pod =
        ClusterStatefulSet.build(copy, "img:16", 0, from).getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .extracting(v -> v.getPersistentVolumeClaim().getClaimName())
        .contains("copy-pgbackrest-repo", "src-pgbackrest-repo");
    Volume sourceRepository =
        pod.getVolumes().stream()
            .filter(v -> v.getName().equals(RestoreBootstrap.SOURCE_REPO_VOLUME))
            .findFirst()
            .orElseThrow();
    assertThat(sourceRepository.getPersistentVolumeClaim().getClaimName())
        .isEqualTo("src-pgbackrest-repo");
    assertThat(sourceRepository.getPersistentVolumeClaim().getReadOnly()).isTrue();
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .filteredOn(m -> m.getName().equals(RestoreBootstrap.SOURCE_REPO_VOLUME))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/pgbackrest-source-repo");
              assertThat(m.getReadOnly()).isTrue();
            });
    String sourceConf = RestoreBootstrap.configFiles(copy, from).get("restore-source.conf");
    assertThat(sourceConf)
        .contains("repo1-type=posix")
        .contains("repo1-path=/pgbackrest-source-repo/pgbackrest/ns/src\n");
    assertThat(ClusterConfigMaps.patroni(copy, from).getData().get("pgbackrest.conf"))
        .contains("repo1-path=/pgbackrest-repo/pgbackrest/ns/copy\n");
  }
}
