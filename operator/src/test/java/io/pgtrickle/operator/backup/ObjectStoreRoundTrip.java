package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One object store repository end to end, shared by the ITs of each store type (GCS, Azure): a
 * one-member source cluster with {@code spec.backup} to the store, condition ContinuousArchiving
 * True (reason WalArchived), a PostgresBackup taking a full then (on the trigger annotation) an
 * incremental backup, {@code pgbackrest info} in the primary listing both with the labels of the
 * status, the store holding the repository's files, and a restore into a new cluster holding the
 * source's data (an md5 over every row).
 *
 * <p>Shapes: {@code backupSpec} is the {@code backup:} section (YAML lines indented by two spaces);
 * {@code objects} lists the store's objects under the source's repository path.
 */
final class ObjectStoreRoundTrip {

  static final String CHECKSUM =
      "select md5(string_agg(id || ':' || note, ',' order by id)) from t";

  private final TestNamespace namespace;
  private final KubernetesClient client;

  ObjectStoreRoundTrip(TestNamespace namespace) {
    this.namespace = namespace;
    this.client = namespace.client();
  }

  /** Creates a Secret of {@code data} (string values) in the test's namespace. */
  void secret(String name, Map<String, String> data) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace.name())
                .endMetadata()
                .withStringData(data)
                .build())
        .create();
  }

  /** The repository path of cluster {@code name} in its bucket, without the leading slash. */
  String path(String name) {
    return "pgbackrest/" + namespace.name() + "/" + name;
  }

  /**
   * Runs the scenario with the source cluster {@code src} and the restored cluster {@code copy}.
   *
   * @param repository the condition's wording of the repository, e.g. {@code gs://BUCKET}
   */
  void run(String backupSpec, String repository, Supplier<List<String>> objects)
      throws SQLException {
    run(backupSpec, repository, objects, source -> {});
  }

  /** What a test does with the source cluster once the scenario is done. */
  interface Then {
    void accept(HaCluster source) throws Exception;
  }

  /** As {@link #run(String, String, Supplier)}, then {@code then} with the source cluster. */
  void run(String backupSpec, String repository, Supplier<List<String>> objects, Then then)
      throws SQLException {
    try (HaCluster source =
        HaCluster.startWith(
            namespace.testBed(), namespace.name(), "src", HaCluster.testedMajor(), 1, backupSpec)) {
      execute(
          source,
          "create table t (id int primary key, note text)",
          "insert into t select g, md5(g::text) from generate_series(1, 10000) g");

      client
          .resource(
              client
                  .getKubernetesSerialization()
                  .unmarshal(
                      "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                          + "  name: src-backup\n  namespace: "
                          + namespace.name()
                          + "\nspec:\n  clusterName: src\n",
                      PostgresBackup.class))
          .create();
      PostgresBackupStatus full = awaitBackups(1);
      assertThat(full.getLastBackupType()).isEqualTo("full");

      // Continuous archiving (the stanza exists once the first backup made it): a WAL file switched
      // out lands in the store, and the operator says so.
      awaitArchived(source);
      await()
          .atMost(Duration.ofSeconds(150))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                Condition archiving =
                    Conditions.find(
                            source.cluster().getStatus().getConditions(), ContinuousArchiving.TYPE)
                        .orElse(null);
                assertThat(archiving).as("condition ContinuousArchiving").isNotNull();
                assertThat(archiving.getStatus()).as(archiving.getMessage()).isEqualTo("True");
                assertThat(archiving.getReason()).isEqualTo(ContinuousArchiving.ARCHIVING);
                assertThat(archiving.getMessage()).contains(repository);
              });

      execute(source, "insert into t select g, md5(g::text) from generate_series(10001, 20000) g");
      Edits.edit(
          client
              .resources(PostgresBackup.class)
              .inNamespace(namespace.name())
              .withName("src-backup"),
          b -> {
            b.getMetadata().setAnnotations(Map.of(PostgresBackup.TRIGGER_ANNOTATION, "now"));
            return b;
          });
      PostgresBackupStatus incr = awaitBackups(2);
      assertThat(incr.getLastBackupType()).isEqualTo("incr");

      TestBed.Result info =
          namespace
              .testBed()
              .kubectl(
                  "exec",
                  "-n",
                  namespace.name(),
                  source.primaryPod(),
                  "-c",
                  "postgres",
                  "--",
                  "pgbackrest",
                  "info",
                  "--output=json");
      assertThat(info.ok()).as(info.output()).isTrue();
      assertThat(InfoParser.backups(info.output(), "db"))
          .extracting(RepositoryBackup::label)
          .containsExactly(full.getLastBackupName(), incr.getLastBackupName());
      List<String> stored = objects.get();
      assertThat(stored).anyMatch(o -> o.endsWith("/backup/db/backup.info"));
      assertThat(stored).anyMatch(o -> o.contains("/backup/db/" + incr.getLastBackupName() + "/"));
      assertThat(stored).anyMatch(o -> o.contains("/archive/db/") && o.endsWith(".zst"));

      // Restore to the end of the archive into a new cluster: the source's data.
      String expected = query(source, CHECKSUM);
      awaitArchived(source);
      try (HaCluster copy =
          HaCluster.beside(
              source,
              "copy",
              "  version: "
                  + HaCluster.testedMajor()
                  + "\n  replicas: 1\n  storage:\n    size: 1Gi\n"
                  + "  restore:\n    backupName: src-backup\n")) {
        copy.awaitRunning(Duration.ofSeconds(240));
        assertThat(query(copy, CHECKSUM)).isEqualTo(expected);
        assertThat(copy.queryLong("select count(*) from t")).isEqualTo(20000);
      }
      try {
        then.accept(source);
      } catch (SQLException | RuntimeException | Error e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private PostgresBackupStatus awaitBackups(int count) {
    BackupDiagnostics.onTimeout(
        namespace,
        "src-backup",
        () ->
            await()
                .atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(
                    () -> {
                      PostgresBackupStatus s = status();
                      assertThat(s).isNotNull();
                      assertThat(s.getBackupCount()).as(s.getMessage()).isEqualTo(count);
                      assertThat(s.getPhase()).isIn(BackupPhase.Succeeded, BackupPhase.Scheduled);
                    }));
    return status();
  }

  private PostgresBackupStatus status() {
    PostgresBackup b =
        client
            .resources(PostgresBackup.class)
            .inNamespace(namespace.name())
            .withName("src-backup")
            .get();
    return b == null ? null : b.getStatus();
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
