package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.RestoreSource;
import org.junit.jupiter.api.Test;

/** A restored cluster's own repository compared with its source's. */
class RestoreSourcesTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private static PostgresCluster cluster(String name, String backup, boolean restore) {
    return YAML.unmarshal(
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: t7\nspec:\n  version: 16\n  replicas: 1\n  storage:\n    size: 1Gi\n"
            + "  backup: "
            + backup
            + "\n"
            + (restore ? "  restore: {backupName: my-cluster}\n" : ""),
        PostgresCluster.class);
  }

  private static final String SOURCE =
      "{destination: {type: S3, bucket: b, region: us-east-1,"
          + " endpoint: 'https://localhost:39417'}}";

  private static boolean shared(String ownDestination) {
    PostgresCluster source = cluster("my-cluster", SOURCE, false);
    PostgresCluster copy = cluster("copy", ownDestination, true);
    return RestoreSources.sameRepository(copy, RestoreSource.of(copy, source));
  }

  @Test
  void theTrialsThreeSpellingsOfTheSourcesRepositoryAreRefused() {
    String head = "{destination: {type: S3, bucket: b, region: us-east-1, ";
    assertThat(
            shared(head + "endpoint: 'https://localhost:39417', path: /pgbackrest/t7/my-cluster}}"))
        .isTrue();
    assertThat(
            shared(
                head + "endpoint: 'https://localhost:39417', path: /pgbackrest/t7/my-cluster/}}"))
        .isTrue();
    assertThat(
            shared(
                head + "endpoint: 'https://localhost:39417', path: //pgbackrest/t7/my-cluster}}"))
        .isTrue();
    assertThat(
            shared(
                head + "endpoint: 'https://localhost:39417/', path: /pgbackrest/t7/my-cluster}}"))
        .isTrue();
  }

  @Test
  void aPathOfItsOwnOrAnotherStoreIsAccepted() {
    String head = "{destination: {type: S3, bucket: b, region: us-east-1, ";
    assertThat(shared(head + "endpoint: 'https://localhost:39417'}}")).isFalse();
    assertThat(
            shared(head + "endpoint: 'https://localhost:39418', path: /pgbackrest/t7/my-cluster}}"))
        .isFalse();
    assertThat(
            shared(
                "{destination: {type: S3, bucket: c, region: us-east-1,"
                    + " endpoint: 'https://localhost:39417', path: /pgbackrest/t7/my-cluster}}"))
        .isFalse();
    // Its own volume, whatever the path: the source's claim is only mounted read-only beside it.
    assertThat(shared("{destination: {path: /pgbackrest/t7/my-cluster}}")).isFalse();
  }
}
