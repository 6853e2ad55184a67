package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.testbed.TestNamespace;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backup fields' validation on the real API server: PostgresBackup's rules, S3, GCS and Azure
 * destinations accepted with what they need and refused without it, and every field of {@code
 * spec.backup} that is not built yet refused with a message saying so.
 */
class BackupValidationIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final String S3 =
      "destination: {type: S3, bucket: bkt, region: us-east-1, credentialsSecret: c}";

  static Stream<Arguments> invalidBackups() {
    return Stream.of(
        Arguments.of("no clusterName", "{schedule: '0 2 * * *'}", "spec.clusterName: Required"),
        Arguments.of(
            "empty clusterName",
            "{clusterName: ''}",
            "spec.clusterName must name a PostgresCluster"),
        Arguments.of(
            "schedule of four fields",
            "{clusterName: c, schedule: '0 2 * *'}",
            "spec.schedule must be a cron expression of five fields"),
        Arguments.of(
            "schedule with 7 for Sunday (the CronJob API refuses it)",
            "{clusterName: c, schedule: '0 2 * * 7'}",
            "spec.schedule must be a cron expression of five fields"),
        Arguments.of(
            "retention count 0",
            "{clusterName: c, retention: {count: 0}}",
            "spec.retention.count in body should be greater than or equal to 1"),
        Arguments.of(
            "retention days 0",
            "{clusterName: c, retention: {days: 0}}",
            "spec.retention.days in body should be greater than or equal to 1"));
  }

  @ParameterizedTest(name = "PostgresBackup with {0} is rejected")
  @MethodSource("invalidBackups")
  void rejectsInvalidBackups(String description, String spec, String message) {
    assertRefused(manifest("PostgresBackup", spec), message);
  }

  @Test
  void theSeedsPostgresBackupIsAcceptedWithItsDefaults() {
    GenericKubernetesResource created =
        NAMESPACE
            .client()
            .resource(manifest("PostgresBackup", "{clusterName: my-cluster, retention: {}}"))
            .create();
    assertThat(created.get("spec", "retention", "days").toString()).isEqualTo("7");
    assertThat(created.get("spec", "retention", "count").toString()).isEqualTo("5");
  }

  @Test
  void clusterNameCannotChange() {
    GenericKubernetesResource created =
        NAMESPACE.client().resource(manifest("PostgresBackup", "{clusterName: a}")).create();
    created.setAdditionalProperty("spec", java.util.Map.of("clusterName", "b"));
    assertThatThrownBy(() -> NAMESPACE.client().resource(created).update())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.clusterName cannot change");
  }

  static Stream<Arguments> notBuiltYet() {
    return Stream.of(
        Arguments.of(
            "GCS without a bucket",
            "{destination: {type: GCS, credentialsSecret: c}}",
            "spec.backup.destination: type GCS needs bucket and credentialsSecret"),
        Arguments.of(
            "GCS without credentials",
            "{destination: {type: GCS, bucket: bkt}}",
            "spec.backup.destination: type GCS needs bucket and credentialsSecret"),
        Arguments.of(
            "GCS with a region",
            "{destination: {type: GCS, bucket: bkt, region: r, credentialsSecret: c}}",
            "spec.backup.destination.region is the region of an S3 bucket: type S3 only"),
        Arguments.of(
            "GCS with an unknown key type",
            "{destination: {type: GCS, bucket: bkt, credentialsSecret: c, gcsKeyType: auto}}",
            "spec.backup.destination.gcsKeyType: Unsupported value: \"auto\""),
        Arguments.of(
            "Azure without a container",
            "{destination: {type: Azure, credentialsSecret: c}}",
            "spec.backup.destination: type Azure needs bucket (the container) and"
                + " credentialsSecret"),
        Arguments.of(
            "Azure without credentials",
            "{destination: {type: Azure, bucket: bkt}}",
            "spec.backup.destination: type Azure needs bucket (the container) and"
                + " credentialsSecret"),
        Arguments.of(
            "Azure with gcsKeyType",
            "{destination: {type: Azure, bucket: bkt, credentialsSecret: c, gcsKeyType: token}}",
            "spec.backup.destination.gcsKeyType is for type GCS only"),
        Arguments.of(
            "PVC with gcsKeyType",
            "{destination: {gcsKeyType: token}}",
            "spec.backup.destination: type PVC (the default) keeps the repository on a volume"),
        Arguments.of(
            "backupFromReplica on a single member",
            "{backupFromReplica: true, " + S3 + "}",
            "spec.backup.backupFromReplica: true needs at least 2 members"),
        Arguments.of(
            "S3 without credentials",
            "{destination: {type: S3, bucket: bkt, region: us-east-1}}",
            "instance credentials (IAM roles) are not built yet"),
        Arguments.of(
            "a keySecret without encryption (the repository would stay plain)",
            "{encryption: {keySecret: k}, " + S3 + "}",
            "spec.backup.encryption.keySecret needs spec.backup.encryption.enabled: true"),
        Arguments.of(
            "a keySecret with encryption off",
            "{encryption: {enabled: false, keySecret: k}, " + S3 + "}",
            "spec.backup.encryption.keySecret needs spec.backup.encryption.enabled: true"),
        Arguments.of(
            "an http endpoint",
            "{destination: {type: S3, bucket: bkt, region: r, credentialsSecret: c, endpoint:"
                + " 'http://minio:9000'}}",
            "spec.backup.destination.endpoint must use https"),
        Arguments.of(
            "retention without schedule",
            "{retention: {count: 3}, " + S3 + "}",
            "spec.backup.retention applies to the scheduled backups"),
        Arguments.of(
            "no backup process",
            "{processMax: 0, " + S3 + "}",
            "spec.backup.processMax in body should be greater than or equal to 1"),
        Arguments.of(
            "more backup processes than allowed",
            "{processMax: 17, " + S3 + "}",
            "spec.backup.processMax in body should be less than or equal to 16"));
  }

  /**
   * What goes into pgbackrest.conf as a value is checked by the API server: a newline would add
   * pgBackRest options of the user's choosing, and a bucket, container or region the store refuses
   * (or a blank or '/' that breaks its host name) would fail only at the first WAL push.
   */
  static Stream<Arguments> repositoryNamesRefused() {
    String s3Bucket = "spec.backup.destination.bucket: an S3 bucket name is 3 to 63";
    String gcsBucket = "spec.backup.destination.bucket: a GCS bucket name is 3 to 222";
    String container = "spec.backup.destination.bucket: an Azure container name is 3 to 63";
    String region = "spec.backup.destination.region must be lowercase letters, digits and '-'";
    String path = "spec.backup.destination.path must not hold control characters";
    return Stream.of(
        Arguments.of(
            "an S3 bucket with a newline", s3("bkt\nrepo1-path=/etc", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket with a blank", s3("my bkt", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket with a slash", s3("bkt/x", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket of 2 characters", s3("bk", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket of 64 characters", s3("b".repeat(64), "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket in upper case", s3("Backups", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket with an underscore", s3("my_backups", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket ending in '-'", s3("backups-", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket with '..'", s3("my..backups", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket like an IP address", s3("192.168.5.4", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket starting xn--", s3("xn--backups", "us-east-1"), s3Bucket),
        Arguments.of("an S3 bucket ending -s3alias", s3("backups-s3alias", "us-east-1"), s3Bucket),
        Arguments.of("a region with a newline", s3("bkt", "us-east-1\nrepo1-path=/"), region),
        Arguments.of("a region with a blank", s3("bkt", "us east 1"), region),
        Arguments.of("a region with a slash", s3("bkt", "evil.example/x"), region),
        Arguments.of("a region in upper case", s3("bkt", "US-EAST-1"), region),
        Arguments.of("a GCS bucket with a newline", gcs("bkt\nx=y"), gcsBucket),
        Arguments.of("a GCS bucket in upper case", gcs("Backups"), gcsBucket),
        Arguments.of("a GCS bucket with a part of 64", gcs("a.".concat("b".repeat(64))), gcsBucket),
        Arguments.of("a GCS bucket starting goog", gcs("goog-backups"), gcsBucket),
        Arguments.of("a GCS bucket holding google", gcs("my-google-backups"), gcsBucket),
        Arguments.of("an Azure container with '--'", azure("my--backups"), container),
        Arguments.of("an Azure container with '.'", azure("my.backups"), container),
        Arguments.of("an Azure container with '_'", azure("my_backups"), container),
        Arguments.of("an Azure container ending in '-'", azure("backups-"), container),
        Arguments.of("an Azure container of 2", azure("bk"), container),
        Arguments.of(
            "a path with a newline",
            "{destination: {type: S3, bucket: bkt, region: us-east-1, credentialsSecret: c, path:"
                + " \"/x\\nrepo1-cipher-type=none\"}}",
            path),
        Arguments.of("a volume path with a tab", "{destination: {path: \"/x\\ty\"}}", path));
  }

  private static String s3(String bucket, String region) {
    return "{destination: {type: S3, bucket: "
        + yaml(bucket)
        + ", region: "
        + yaml(region)
        + ", credentialsSecret: c}}";
  }

  private static String gcs(String bucket) {
    return "{destination: {type: GCS, bucket: " + yaml(bucket) + ", credentialsSecret: c}}";
  }

  private static String azure(String container) {
    return "{destination: {type: Azure, bucket: " + yaml(container) + ", credentialsSecret: c}}";
  }

  /** A YAML double-quoted scalar. */
  private static String yaml(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  @ParameterizedTest(name = "spec.backup with {0} is refused")
  @MethodSource("repositoryNamesRefused")
  void refusesWhatPgBackRestOrTheStoreCannotTake(
      String description, String backup, String message) {
    assertRefused(
        manifest(
            "PostgresCluster",
            "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: " + backup + "}"),
        message);
  }

  @Test
  void acceptsTheNamesTheStoresAllow() {
    for (String backup :
        java.util.List.of(
            s3("my.backups-2024", "eu-central-1"),
            s3("b".repeat(63), "minio"),
            s3("123", "us-east-1"),
            gcs("my_backups.example.com"),
            gcs("a".repeat(63) + "." + "b".repeat(63)),
            azure("postgres-backups-1"),
            azure("a".repeat(63)),
            "{destination: {path: '/pg backups/é'}}")) {
      GenericKubernetesResource created =
          NAMESPACE
              .client()
              .resource(
                  manifest(
                      "PostgresCluster",
                      "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: " + backup + "}"))
              .create();
      assertThat(created.getMetadata().getUid()).as(backup).isNotBlank();
    }
  }

  @Test
  void aPvcRepositoryIsAcceptedAsTheDefaultAndWithASize() {
    for (String backup :
        java.util.List.of("{}", "{destination: {type: PVC, size: 5Gi}}", "{destination: {}}")) {
      NAMESPACE
          .client()
          .resource(
              manifest(
                  "PostgresCluster",
                  "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: " + backup + "}"))
          .create();
    }
  }

  /**
   * The repository volume only grows: a smaller size is refused, not accepted and ignored; a larger
   * one is accepted (the operator expands the claim); moving the repository to an object store
   * (where size does not apply) still works.
   */
  @Test
  void theRepositoryVolumeOnlyGrows() {
    GenericKubernetesResource created =
        NAMESPACE
            .client()
            .resource(
                manifest(
                    "PostgresCluster",
                    "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: {destination:"
                        + " {size: 5Gi}}}"))
            .create();
    var cluster =
        NAMESPACE
            .client()
            .genericKubernetesResources("postgres.example.com/v1", "PostgresCluster")
            .inNamespace(NAMESPACE.name())
            .withName(created.getMetadata().getName());
    var merge =
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE);
    // Growing it is allowed (volume expansion); shrinking it, or removing destination.size (the
    // smaller spec.storage.size then applies), is refused.
    cluster.patch(merge, "{\"spec\":{\"backup\":{\"destination\":{\"size\":\"10Gi\"}}}}");
    for (String size : java.util.List.of("\"5Gi\"", "null")) {
      assertThatThrownBy(
              () ->
                  cluster.patch(
                      merge, "{\"spec\":{\"backup\":{\"destination\":{\"size\":" + size + "}}}}"))
          .as(size)
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
          .hasMessageContaining(
              "spec.backup.destination.size cannot shrink: the repository volume");
    }
    cluster.patch(merge, "{\"spec\":{\"backup\":{\"destination\":{\"size\":\"10Gi\"}}}}");
    cluster.patch(
        merge,
        "{\"spec\":{\"backup\":{\"destination\":{\"size\":null,\"type\":\"S3\","
            + "\"bucket\":\"bkt\",\"region\":\"r\",\"credentialsSecret\":\"c\"}}}}");
  }

  /**
   * The volume's size is {@code destination.size} or else {@code storage.size}: adding a
   * destination (or its size) with a smaller size, or removing it, shrinks it too, and is refused;
   * a larger one is volume expansion; the same quantity written another way is not a change.
   */
  @Test
  void theRepositoryVolumeCannotShrinkByAddingOrRemovingTheDestination() {
    String refusal =
        "spec.backup.destination.size cannot shrink: the repository volume NAME-pgbackrest-repo"
            + " exists with the size it was made with";
    var byDefault = cluster("{version: 16, replicas: 1, storage: {size: 2Gi}, backup: {}}");
    assertSizeRefused(byDefault, "{\"destination\":{\"size\":\"1Gi\"}}", refusal);
    assertSizeRefused(byDefault, "{\"destination\":{\"type\":\"PVC\",\"size\":\"1Gi\"}}", refusal);
    patch(byDefault, "{\"destination\":{\"size\":\"2048Mi\"}}");
    // A larger size is volume expansion.
    patch(byDefault, "{\"destination\":{\"size\":\"20Gi\"}}");

    var sized =
        cluster(
            "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: {destination: {size: 5Gi,"
                + " path: /p}}}");
    assertSizeRefused(sized, "{\"destination\":null}", refusal);
    // Removing spec.backup is no transition of it (the operator checks the claim then).
    sized.patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        "{\"spec\":{\"backup\":null}}");
    patch(sized, "{\"destination\":{\"size\":\"7Gi\"}}");
  }

  private static void assertSizeRefused(
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> cluster,
      String backup,
      String message) {
    assertThatThrownBy(() -> patch(cluster, backup))
        .as(backup)
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(message);
  }

  /**
   * A repository's files are encrypted or not from stanza creation on: switching {@code
   * encryption.enabled} on the same repository is refused (archiving would fail on it), switching
   * it together with a new repository (path, bucket, endpoint or type) is allowed.
   */
  @Test
  void encryptionChangesOnlyWithANewRepository() {
    String refusal =
        "spec.backup.encryption.enabled cannot change while the repository stays the same";
    var s3 =
        cluster(
            "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: {compression: lz4,"
                + " destination: {type: S3, bucket: bkt, region: us-east-1, path: /x,"
                + " credentialsSecret: c}}}");
    String on = "\"encryption\":{\"enabled\":true,\"keySecret\":\"k\"}";
    assertPatchRefused(s3, "{" + on + "}", refusal);
    assertPatchRefused(s3, "{" + on + ",\"destination\":{\"region\":\"eu-west-1\"}}", refusal);
    patch(s3, "{\"encryption\":{\"enabled\":false},\"compression\":\"zstd\"}");
    patch(s3, "{" + on + ",\"destination\":{\"path\":\"/y\"}}");
    patch(s3, "{\"encryption\":{\"enabled\":true},\"compression\":\"gz\"}");
    assertPatchRefused(s3, "{\"encryption\":null}", refusal);
    assertPatchRefused(s3, "{\"encryption\":{\"enabled\":false,\"keySecret\":null}}", refusal);
    patch(s3, "{\"encryption\":null,\"destination\":{\"bucket\":\"bkt2\"}}");
    patch(s3, "{" + on + ",\"destination\":{\"endpoint\":\"https://minio.example:9000\"}}");

    var pvc = cluster("{version: 16, replicas: 1, storage: {size: 1Gi}, backup: {}}");
    assertPatchRefused(pvc, "{" + on + "}", refusal);
    assertPatchRefused(pvc, "{" + on + ",\"destination\":{\"type\":\"PVC\"}}", refusal);
    patch(pvc, "{" + on + ",\"destination\":{\"path\":\"/encrypted\"}}");
  }

  private static io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> cluster(
      String spec) {
    GenericKubernetesResource created =
        NAMESPACE.client().resource(manifest("PostgresCluster", spec)).create();
    return NAMESPACE
        .client()
        .genericKubernetesResources("postgres.example.com/v1", "PostgresCluster")
        .inNamespace(NAMESPACE.name())
        .withName(created.getMetadata().getName());
  }

  /** A JSON merge patch of spec.backup. */
  private static void patch(
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> cluster, String backup) {
    cluster.patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        "{\"spec\":{\"backup\":" + backup + "}}");
  }

  private static void assertPatchRefused(
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> cluster,
      String backup,
      String message) {
    assertThatThrownBy(() -> patch(cluster, backup))
        .as(backup)
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(message)
        .hasMessageContaining(
            "To change it, point spec.backup.destination at a new repository in the same edit");
  }

  @ParameterizedTest(name = "spec.backup with {0} is refused")
  @MethodSource("notBuiltYet")
  void refusesWhatIsNotBuilt(String description, String backup, String message) {
    assertRefused(
        manifest(
            "PostgresCluster",
            "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: " + backup + "}"),
        message);
  }

  @Test
  void acceptsRestoreAndRefusesATargetTimeWithoutAZone() {
    GenericKubernetesResource created =
        NAMESPACE
            .client()
            .resource(
                manifest(
                    "PostgresCluster",
                    "{version: 16, replicas: 1, storage: {size: 1Gi}, restore: {backupName: b,"
                        + " targetTime: '2024-01-15T01:30:00Z'}}"))
            .create();
    assertThat(created.getMetadata().getUid()).isNotBlank();
    assertRefused(
        manifest(
            "PostgresCluster",
            "{version: 16, replicas: 1, storage: {size: 1Gi}, restore: {backupName: b,"
                + " targetTime: '2024-01-15 01:30'}}"),
        "spec.restore.targetTime must be an RFC 3339 time with a zone");
  }

  /**
   * A targetTime of the right shape that is no time (February 30, hour 25, an offset past 18 hours)
   * is refused by the API server: the field cannot change later, and the restore could never start.
   */
  @ParameterizedTest(name = "targetTime {0} is refused")
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "2024-02-30T01:00:00Z",
        "2023-02-29T01:00:00Z",
        "2024-13-01T01:00:00Z",
        "2024-00-10T01:00:00Z",
        "2024-01-15T25:00:00Z",
        "2024-01-15T01:60:00Z",
        "2024-01-15T01:30:60Z",
        "2024-01-15T01:30:00+99:00",
        "2024-01-15T01:30:00+19:00",
        "2024-01-15T01:30:00-05:60",
        "2024-01-15T01:30:00.1234567891Z",
        "0000-01-01T00:00:00Z"
      })
  void refusesATargetTimeThatIsNoTime(String targetTime) {
    assertRefused(
        manifest(
            "PostgresCluster",
            "{version: 16, replicas: 1, storage: {size: 1Gi}, restore: {backupName: b,"
                + " targetTime: '"
                + targetTime
                + "'}}"),
        "spec.restore.targetTime must be an RFC 3339 time with a zone");
  }

  @ParameterizedTest(name = "targetTime {0} is accepted")
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "2024-02-29T23:59:59Z",
        "2024-01-15t01:30:00z",
        "2024-01-15 01:30:00.123456789+02:00",
        "2024-01-15T01:30:00-18:00",
        "2024-01-15T01:30:00+05:45"
      })
  void acceptsEveryTargetTimeTheOperatorReads(String targetTime) {
    GenericKubernetesResource created =
        NAMESPACE
            .client()
            .resource(
                manifest(
                    "PostgresCluster",
                    "{version: 16, replicas: 1, storage: {size: 1Gi}, restore: {backupName: b,"
                        + " targetTime: '"
                        + targetTime
                        + "'}}"))
            .create();
    assertThat(created.getMetadata().getUid()).isNotBlank();
    assertThat(io.pgtrickle.operator.backup.spec.RestoreSource.targetTime(targetTime)).isNotBlank();
  }

  @Test
  void acceptsWhatIsBuilt() {
    GenericKubernetesResource created =
        NAMESPACE
            .client()
            .resource(
                manifest(
                    "PostgresCluster",
                    "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: {schedule: '@daily',"
                        + " retention: {count: 3, days: 2}, compression: lz4, processMax: 16,"
                        + " encryption:"
                        + " {enabled: true, keySecret: k}, destination: {type: S3, bucket: bkt,"
                        + " region: us-east-1, endpoint: 'https://minio.example:9000', path:"
                        + " /x/y, credentialsSecret: c, caSecret: ca}}}"))
            .create();
    assertThat(created.getMetadata().getUid()).isNotBlank();
    for (String destination :
        java.util.List.of(
            "{type: GCS, bucket: bkt, credentialsSecret: c}",
            "{type: GCS, bucket: bkt, endpoint: 'https://127.0.0.1:4443', gcsKeyType: token,"
                + " credentialsSecret: c, caSecret: ca}",
            "{type: Azure, bucket: bkt, credentialsSecret: c}",
            "{type: Azure, bucket: bkt, endpoint: 'https://127.0.0.1:10000', path: /x,"
                + " credentialsSecret: c, caSecret: ca}",
            // Encryption without keySecret: the operator generates NAME-pgbackrest-cipher.
            "{type: S3, bucket: bkt, region: us-east-1, credentialsSecret: c}, encryption:"
                + " {enabled: true}")) {
      NAMESPACE
          .client()
          .resource(
              manifest(
                  "PostgresCluster",
                  "{version: 16, replicas: 1, storage: {size: 1Gi}, backup: {destination: "
                      + destination
                      + "}}"))
          .create();
    }
  }

  private static void assertRefused(GenericKubernetesResource resource, String message) {
    assertThatThrownBy(() -> NAMESPACE.client().resource(resource).create())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(message);
  }

  private static GenericKubernetesResource manifest(String kind, String spec) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: "
            + kind
            + "\nmetadata:\n  name: case-"
            + COUNTER.incrementAndGet()
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec: "
            + spec
            + "\n";
    return NAMESPACE
        .client()
        .getKubernetesSerialization()
        .unmarshal(yaml, GenericKubernetesResource.class);
  }
}
