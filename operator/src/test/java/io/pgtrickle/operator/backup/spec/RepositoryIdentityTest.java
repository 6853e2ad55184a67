package io.pgtrickle.operator.backup.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.DestinationType;
import io.pgtrickle.operator.api.PostgresCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One repository, however its path and endpoint are spelled; different ones stay different. */
class RepositoryIdentityTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  static PostgresCluster cluster(String namespace, String name, String created, String backup) {
    return YAML.unmarshal(
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + namespace
            + (created == null ? "" : "\n  creationTimestamp: \"" + created + "\"")
            + "\nspec:\n  version: 16\n  replicas: 1\n  storage:\n    size: 1Gi\n"
            + (backup == null ? "" : "  backup: " + backup + "\n"),
        PostgresCluster.class);
  }

  private static RepositoryIdentity s3(String name, String rest) {
    return RepositoryIdentity.of(
        cluster("t7", name, null, "{destination: {type: S3, region: us-east-1, " + rest + "}}"));
  }

  private static final String MINIO = "bucket: b, endpoint: 'https://localhost:39417'";

  @Test
  void theTrialsSpellingsOfTheSourcesDefaultPathAreItsRepository() {
    RepositoryIdentity source = s3("my-cluster", MINIO);
    assertThat(source.path()).isEqualTo("/pgbackrest/t7/my-cluster");
    assertThat(s3("copy", MINIO + ", path: /pgbackrest/t7/my-cluster/")).isEqualTo(source);
    assertThat(s3("copy", MINIO + ", path: //pgbackrest/t7/my-cluster")).isEqualTo(source);
    assertThat(
            s3(
                "copy",
                "bucket: b, endpoint: 'https://localhost:39417/',"
                    + " path: /pgbackrest/t7/my-cluster"))
        .isEqualTo(source);
  }

  @Test
  void pathsCollapseSlashesAndDropDotSegments() {
    assertThat(RepositoryIdentity.normalizedPath("//a///b/./c//")).isEqualTo("/a/b/c");
    assertThat(RepositoryIdentity.normalizedPath("/./a/.")).isEqualTo("/a");
    assertThat(RepositoryIdentity.normalizedPath("/")).isEqualTo("/");
    assertThat(RepositoryIdentity.normalizedPath("///")).isEqualTo("/");
    assertThat(RepositoryIdentity.normalizedPath("/a/.b/..c")).isEqualTo("/a/.b/..c");
  }

  @Test
  void endpointsLowerCaseSchemeAndHostAndMakeTheDefaultPortExplicit() {
    String canonical = "https://minio.example:443";
    for (String spelled :
        List.of(
            "https://minio.example",
            "https://minio.example/",
            "https://minio.example//",
            "HTTPS://MinIO.Example:443/",
            "minio.example",
            "minio.example:443",
            "minio.example./")) {
      assertThat(RepositoryIdentity.normalizedEndpoint(DestinationType.S3, spelled))
          .as(spelled)
          .isEqualTo(canonical);
    }
    assertThat(RepositoryIdentity.normalizedEndpoint(DestinationType.S3, "http://m.example"))
        .isEqualTo("http://m.example:80");
    assertThat(RepositoryIdentity.normalizedEndpoint(DestinationType.S3, "https://m:9000/"))
        .isEqualTo("https://m:9000");
  }

  @Test
  void anAbsentEndpointIsTheProvidersOwn() {
    assertThat(RepositoryIdentity.normalizedEndpoint(DestinationType.S3, null))
        .isEqualTo("https://s3.amazonaws.com:443")
        .isEqualTo(
            RepositoryIdentity.normalizedEndpoint(
                DestinationType.S3, "https://s3.eu-west-1.amazonaws.com/"));
    assertThat(RepositoryIdentity.normalizedEndpoint(DestinationType.GCS, null))
        .isEqualTo("https://storage.googleapis.com:443")
        .isEqualTo(
            RepositoryIdentity.normalizedEndpoint(DestinationType.GCS, "storage.googleapis.com"));
    assertThat(RepositoryIdentity.normalizedEndpoint(DestinationType.Azure, null))
        .isEqualTo("https://blob.core.windows.net:443");
    assertThat(s3("a", "bucket: b, path: /p")).isEqualTo(s3("c", "bucket: b, path: /p/"));
  }

  @Test
  void anotherBucketEndpointHostPortOrPathIsAnotherRepository() {
    RepositoryIdentity one = s3("a", MINIO + ", path: /p");
    assertThat(s3("c", "bucket: other, endpoint: 'https://localhost:39417', path: /p"))
        .isNotEqualTo(one);
    assertThat(s3("c", "bucket: b, endpoint: 'https://otherhost:39417', path: /p"))
        .isNotEqualTo(one);
    assertThat(s3("c", "bucket: b, endpoint: 'https://localhost:39418', path: /p"))
        .isNotEqualTo(one);
    assertThat(s3("c", MINIO + ", path: /p/q")).isNotEqualTo(one);
    assertThat(s3("c", MINIO + ", path: /P")).isNotEqualTo(one);
    assertThat(s3("c", "bucket: b, path: /p")).as("AWS, not the MinIO").isNotEqualTo(one);
    // Default paths: one per namespace and name.
    assertThat(s3("a", MINIO)).isNotEqualTo(s3("c", MINIO));
  }

  @Test
  void anotherTypeIsAnotherRepository() {
    RepositoryIdentity gcs =
        RepositoryIdentity.of(
            cluster(
                "ns",
                "a",
                null,
                "{destination: {type: GCS, bucket: b, credentialsSecret: k," + " path: /p}}"));
    RepositoryIdentity azure =
        RepositoryIdentity.of(
            cluster(
                "ns",
                "a",
                null,
                "{destination: {type: Azure, bucket: b," + " credentialsSecret: k, path: /p}}"));
    assertThat(gcs).isNotEqualTo(azure);
    assertThat(gcs.type()).isEqualTo(DestinationType.GCS);
  }

  @Test
  void volumeRepositoriesAreEachClustersOwnClaim() {
    RepositoryIdentity a =
        RepositoryIdentity.of(cluster("ns", "a", null, "{destination: {path: /p}}"));
    RepositoryIdentity c =
        RepositoryIdentity.of(cluster("ns", "c", null, "{destination: {path: /p}}"));
    RepositoryIdentity other =
        RepositoryIdentity.of(cluster("other", "a", null, "{destination: {path: /p}}"));
    assertThat(a.volume()).isEqualTo("ns/a-pgbackrest-repo");
    assertThat(a).isNotEqualTo(c).isNotEqualTo(other);
    // The same cluster's volume, its path spelled two ways, is one repository.
    assertThat(
            RepositoryIdentity.of(
                cluster("ns", "a", null, "{destination: {type: PVC, path: /p//}}")))
        .isEqualTo(a);
    assertThat(RepositoryIdentity.of(cluster("ns", "a", null, "{}")).path())
        .isEqualTo("/pgbackrest/ns/a");
  }

  @Test
  void theOlderClusterKeepsASharedRepositoryAndTheNewerIsRefused() {
    String shared = "{destination: {type: S3, bucket: b, region: r, path: /shared}}";
    PostgresCluster old = cluster("x", "old", "2026-12-01T10:00:00Z", shared);
    PostgresCluster young = cluster("a", "young", "2026-12-02T10:00:00Z", shared + "\n");
    PostgresCluster young2 =
        cluster(
            "a",
            "young2",
            "2026-12-03T10:00:00Z",
            "{destination: {type: S3, bucket: b, region: r, path: /shared/}}");
    PostgresCluster elsewhere =
        cluster(
            "a",
            "elsewhere",
            "2026-11-01T10:00:00Z",
            "{destination: {type: S3, bucket: b, region: r, path: /own}}");
    PostgresCluster noBackup = cluster("a", "none", "2026-11-01T10:00:00Z", null);
    List<PostgresCluster> all = List.of(old, young, young2, elsewhere, noBackup);
    assertThat(RepositoryIdentity.keptBy(old, all)).isEmpty();
    assertThat(RepositoryIdentity.keptBy(young, all)).containsSame(old);
    assertThat(RepositoryIdentity.keptBy(young2, all)).containsSame(old);
    assertThat(RepositoryIdentity.keptBy(elsewhere, all)).isEmpty();
    assertThat(RepositoryIdentity.keptBy(noBackup, all)).isEmpty();
  }

  @Test
  void atTheSameSecondNamespaceThenNameDecides() {
    String shared = "{destination: {type: S3, bucket: b, region: r, path: /shared}}";
    PostgresCluster b = cluster("ns", "b", "2026-12-01T10:00:00Z", shared);
    PostgresCluster a = cluster("ns", "a", "2026-12-01T10:00:00Z", shared);
    PostgresCluster z = cluster("a", "z", "2026-12-01T10:00:00Z", shared);
    assertThat(RepositoryIdentity.keptBy(a, List.of(a, b))).isEmpty();
    assertThat(RepositoryIdentity.keptBy(b, List.of(a, b))).containsSame(a);
    assertThat(RepositoryIdentity.keptBy(a, List.of(a, b, z))).containsSame(z);
    // Not yet created (no timestamp): after every created one.
    PostgresCluster fresh = cluster("a", "a", null, shared);
    assertThat(RepositoryIdentity.keptBy(fresh, List.of(b))).containsSame(b);
  }
}
