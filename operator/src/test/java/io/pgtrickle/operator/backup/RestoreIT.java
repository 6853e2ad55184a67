package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.restore} for real: a source cluster (real Patroni, PostgreSQL, pgBackRest) backs up
 * and archives to a local S3 server (s3proxy over HTTPS); new clusters are bootstrapped from its
 * repository by Patroni's custom bootstrap: to the end of the archive (the data equal to the
 * source's, and the new cluster backing up and archiving into its own path), to a point in time
 * (rows before it present, the row after it absent, a new timeline, a streaming replica, the source
 * untouched), and to targets that cannot be reached (phase Failed with the reason, nothing
 * promoted; the same cluster created again on its retained volume restores).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestoreIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BUCKET = "backups";
  private static final Duration RESTORE_WITHIN = Duration.ofSeconds(240);
  private static final String CHECKSUM =
      "select md5(string_agg(id || ':' || note, ',' order by id)) from t";

  private static S3Server s3;
  private static HaCluster source;
  private static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    client = NAMESPACE.client();
    s3 = S3Server.start(NAMESPACE.testBed());
    s3.createBucket(BUCKET);
    secret(
        "s3-credentials",
        Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey()));
    secret("s3-ca", Map.of("ca.crt", s3.caPem()));
    source =
        HaCluster.startWith(
            NAMESPACE.testBed(), NAMESPACE.name(), "src", HaCluster.testedMajor(), 1, backupSpec());
    execute(
        source,
        "create table t (id int primary key, note text)",
        "insert into t select g, md5(g::text) from generate_series(1, 20000) g");
    client
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                        + "  name: src-backup\n  namespace: "
                        + NAMESPACE.name()
                        + "\nspec:\n  clusterName: src\n",
                    PostgresBackup.class))
        .create();
    awaitBackup("src-backup");
  }

  @AfterAll
  static void stop() {
    if (source != null) {
      source.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  @Order(1)
  void aRestoreToTheEndOfTheArchiveHoldsTheSourcesDataAndArchivesToItsOwnPath() throws Exception {
    String expected = query(source, CHECKSUM);
    awaitArchived(source);
    try (HaCluster copy =
        HaCluster.beside(source, "copy", spec(1, "src-backup", null) + backupSpec())) {
      copy.awaitRunning(RESTORE_WITHIN);
      assertThat(query(copy, CHECKSUM)).isEqualTo(expected);
      assertThat(timeline(copy)).isGreaterThan(1);
      // Its own repository: a backup of the restored cluster lands under its own path, and its
      // WAL (the new timeline's history first) is archived there, never into the source's.
      client
          .resource(
              client
                  .getKubernetesSerialization()
                  .unmarshal(
                      "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                          + "  name: copy-backup\n  namespace: "
                          + NAMESPACE.name()
                          + "\nspec:\n  clusterName: copy\n",
                      PostgresBackup.class))
          .create();
      awaitBackup("copy-backup");
      String history = String.format("%08X.history", timeline(copy));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  s3.objects(BUCKET, path("copy") + "/archive/db").stream()
                      .anyMatch(o -> o.contains(history)));
      assertThat(s3.objects(BUCKET, path("copy") + "/backup/db")).isNotEmpty();
      assertThat(s3.objects(BUCKET, path("src") + "/archive/db"))
          .noneMatch(o -> o.contains(history));
    }
  }

  @Test
  @Order(2)
  void pointInTimeRecoveryStopsAtTheTargetOnANewTimelineWithAStreamingReplica() throws Exception {
    execute(source, "insert into t values (-1, 'A')", "insert into t values (-2, 'B')");
    String target =
        query(
            source,
            "select to_char(clock_timestamp() at time zone 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    execute(source, "insert into t values (-3, 'C')");
    awaitArchived(source);
    long sourceRows = source.queryLong("select count(*) from t");

    try (HaCluster pitr = HaCluster.beside(source, "pitr", spec(2, "src", target))) {
      pitr.awaitRunning(RESTORE_WITHIN);
      assertThat(query(pitr, "select string_agg(note, ',' order by id desc) from t where id < 0"))
          .isEqualTo("A,B");
      assertThat(pitr.queryLong("select count(*) from t")).isEqualTo(sourceRows - 1);
      assertThat(timeline(pitr)).isGreaterThan(1);
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(() -> pitr.queryLong(HaCluster.STREAMING_REPLICAS) == 1);
      String history = String.format("%08X.history", timeline(pitr));
      assertThat(s3.objects(BUCKET, path("src") + "/archive/db"))
          .noneMatch(o -> o.contains(history));
    }
    // The source is untouched: every row, its own timeline, still writable.
    assertThat(source.queryLong("select count(*) from t")).isEqualTo(sourceRows);
    assertThat(query(source, "select note from t where id = -3")).isEqualTo("C");
    assertThat(timeline(source)).isEqualTo(1);
    assertThat(source.tryOnPrimary("insert into t values (-4, 'D')")).isTrue();
  }

  @Test
  @Order(3)
  void aTargetBeforeTheBackupOrBeyondTheArchiveFailsWithTheReasonAndPromotesNothing() {
    try (HaCluster early =
            HaCluster.beside(source, "early", spec(1, "src", "2000-01-01T00:00:00Z"));
        HaCluster late =
            HaCluster.beside(
                source,
                "late",
                spec(1, "src", Instant.now().plus(Duration.ofDays(1)).toString()))) {
      for (HaCluster failed : List.of(early, late)) {
        awaitRestoreFailed(failed);
        String message = failed.cluster().getStatus().getMessage();
        System.out.println(failed.name() + ": " + message);
        assertThat(message).contains("spec.restore failed and nothing was promoted");
        assertThat(failed.cluster().getStatus().getPrimaryPod()).isNull();
        assertThat(RestoreSources.initialized(client, failed.cluster())).isFalse();
      }
      assertThat(late.cluster().getStatus().getMessage())
          .contains("recovery ended before configured recovery target was reached");
    }
  }

  @Test
  @Order(4)
  void aMissingSourceIsReportedBeforeAnythingIsCreated() {
    try (HaCluster orphan = HaCluster.beside(source, "orphan", spec(1, "nothing", null))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                PostgresClusterStatus s = orphan.cluster().getStatus();
                assertThat(s).isNotNull();
                assertThat(s.getPhase()).isEqualTo(ClusterPhase.Failed);
                assertThat(s.getPhaseReason()).isEqualTo("RestoreSourceNotFound");
                assertThat(s.getMessage()).contains("spec.restore.backupName \"nothing\"");
              });
      assertThat(
              client.apps().statefulSets().inNamespace(NAMESPACE.name()).withName("orphan").get())
          .isNull();
    }
  }

  /**
   * The user trial of 2026-12-07: a cluster whose restore failed is deleted, as its status says,
   * and created again under the same name with a target that can be reached. Its volume stays
   * (reclaimPolicy Retain) and the new StatefulSet binds it again; the new cluster (a new UID)
   * restores instead of reporting the old cluster's failure from that volume.
   */
  @Test
  @Order(5)
  void aFailedRestoreIsRetriedByAClusterCreatedAgainOnItsVolume() throws Exception {
    String claim = "data-again-0";
    String claimUid;
    try (HaCluster failed =
        HaCluster.beside(source, "again", spec(1, "src", "2000-01-01T00:00:00Z"))) {
      awaitRestoreFailed(failed);
      claimUid = claimUid(claim);
    }
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                client
                        .resources(PostgresCluster.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("again")
                        .get()
                    == null);
    assertThat(claimUid(claim)).as("the volume is retained").isEqualTo(claimUid);

    execute(source, "insert into t values (-10, 'E')");
    String target =
        query(
            source,
            "select to_char(clock_timestamp() at time zone 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    execute(source, "insert into t values (-11, 'F')");
    awaitArchived(source);
    try (HaCluster again = HaCluster.beside(source, "again", spec(1, "src", target))) {
      again.awaitRunning(RESTORE_WITHIN);
      assertThat(claimUid(claim)).as("the same volume").isEqualTo(claimUid);
      assertThat(query(again, "select string_agg(note, ',' order by id) from t where id <= -10"))
          .isEqualTo("E");
      assertThat(again.queryLong("select count(*) from t where id > 0")).isEqualTo(20000);
      assertThat(again.cluster().getStatus().getPhaseReason()).isNotEqualTo("RestoreFailed");
    }
  }

  private static void awaitRestoreFailed(HaCluster failed) {
    await()
        .atMost(RESTORE_WITHIN)
        .untilAsserted(
            () -> {
              PostgresClusterStatus s = failed.cluster().getStatus();
              assertThat(s).isNotNull();
              assertThat(s.getPhase()).as(s.getMessage()).isEqualTo(ClusterPhase.Failed);
              assertThat(s.getPhaseReason()).isEqualTo("RestoreFailed");
            });
  }

  private static String claimUid(String claim) {
    return client
        .persistentVolumeClaims()
        .inNamespace(NAMESPACE.name())
        .withName(claim)
        .get()
        .getMetadata()
        .getUid();
  }

  private static String spec(int replicas, String backupName, String targetTime) {
    return "  version: "
        + HaCluster.testedMajor()
        + "\n  replicas: "
        + replicas
        + "\n  storage:\n    size: 1Gi\n  restore:\n    backupName: "
        + backupName
        + "\n"
        + (targetTime == null ? "" : "    targetTime: \"" + targetTime + "\"\n");
  }

  private static String backupSpec() {
    return "  backup:\n"
        + "    destination:\n"
        + "      type: S3\n"
        + "      endpoint: "
        + s3.endpoint()
        + "\n"
        + "      bucket: "
        + BUCKET
        + "\n"
        + "      region: us-east-1\n"
        + "      credentialsSecret: s3-credentials\n"
        + "      caSecret: s3-ca\n";
  }

  private static String path(String cluster) {
    return "pgbackrest/" + NAMESPACE.name() + "/" + cluster;
  }

  private static void secret(String name, Map<String, String> data) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NAMESPACE.name())
                .endMetadata()
                .withStringData(data)
                .build())
        .create();
  }

  private static void awaitBackup(String name) {
    BackupDiagnostics.awaitSucceeded(NAMESPACE, name, Duration.ofSeconds(180));
  }

  /** Switches to a new WAL file and waits until the one it closed is in the archive. */
  private static void awaitArchived(HaCluster cluster) throws SQLException {
    String closed = query(cluster, "select pg_walfile_name(pg_switch_wal())");
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () ->
                query(cluster, "select coalesce(last_archived_wal, '') from pg_stat_archiver")
                        .compareTo(closed)
                    >= 0);
  }

  /** The timeline the primary writes on. */
  private static int timeline(HaCluster cluster) throws SQLException {
    return Integer.parseInt(
        query(cluster, "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"), 16);
  }

  private static void execute(HaCluster cluster, String... statements) throws SQLException {
    try (Connection c = cluster.connect(primary(cluster))) {
      for (String sql : statements) {
        c.createStatement().execute(sql);
      }
    }
  }

  private static String query(HaCluster cluster, String sql) throws SQLException {
    try (Connection c = cluster.connect(primary(cluster));
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String primary(HaCluster cluster) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(cluster::primaryIp, o -> o.isPresent())
        .get();
  }
}
