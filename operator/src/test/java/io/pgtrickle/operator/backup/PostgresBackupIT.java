package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.BackupRecord;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.RetentionSpec;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
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
 * Backups for real: a PostgresCluster (real Patroni and PostgreSQL) with {@code spec.backup} in a
 * local S3 server (s3proxy over HTTPS, its CA from a Secret), continuous WAL archiving through
 * Patroni's archive_command, and PostgresBackups whose backups run pgBackRest 2.55.1 in Jobs (the
 * test bed runs their pods for real, reading the members through their TLS servers): a one-off full
 * backup with its figures in status, {@code kubectl exec POD -- pgbackrest info} agreeing with
 * them, a triggered differential one, retention by count with a keep-forever backup surviving it, a
 * schedule every minute, and the cluster's own {@code spec.backup.schedule} as the PostgresBackup
 * {@code NAME-schedule}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresBackupIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BUCKET = "backups";
  private static final Duration BACKUP_WITHIN = Duration.ofSeconds(150);

  private static S3Server s3;
  private static HaCluster cluster;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    client = NAMESPACE.client();
    s3 = S3Server.start(NAMESPACE.testBed());
    s3.createBucket(BUCKET);
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("s3-credentials")
                .withNamespace(NAMESPACE.name())
                .endMetadata()
                .withStringData(
                    Map.of(
                        "AWS_ACCESS_KEY_ID", s3.accessKey(),
                        "AWS_SECRET_ACCESS_KEY", s3.secretKey()))
                .build())
        .create();
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("s3-ca")
                .withNamespace(NAMESPACE.name())
                .endMetadata()
                .withStringData(Map.of("ca.crt", s3.caPem()))
                .build())
        .create();
    cluster =
        HaCluster.startWith(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "bk",
            HaCluster.testedMajor(),
            1,
            "  backup:\n"
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
                + "      caSecret: s3-ca\n");
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  @Order(1)
  void aOneOffBackupIsFullAndItsFiguresAreInStatusAndInPgbackrestInfo() throws Exception {
    try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow())) {
      c.createStatement()
          .execute("create table t as select g as id from generate_series(1, 10000) g");
    }
    apply("once", null, null);
    PostgresBackupStatus status = awaitBackups("once", 1);
    assertThat(status.getPhase()).isEqualTo(BackupPhase.Succeeded);
    assertThat(status.getLastBackupType()).isEqualTo("full");
    assertThat(status.getLastBackupName()).endsWith("F");
    assertThat(status.getLastBackupSize()).matches("[0-9.]+[KMG]?B");
    BackupRecord record = status.getBackups().get(0);
    assertThat(record.getWalStart()).matches("[0-9A-F]{24}");
    assertThat(record.getWalStop()).matches("[0-9A-F]{24}");
    assertThat(record.getRepositoryBytes()).isPositive();
    assertThat(status.getConditions())
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("LastBackupSucceeded");
              assertThat(c.getStatus()).isEqualTo("True");
            });

    // The seed's demo: kubectl exec my-cluster-0 -- pgbackrest info
    TestBed.Result info = kubectlExec("pgbackrest", "info");
    assertThat(info.ok()).as(info.output()).isTrue();
    assertThat(info.output()).contains("stanza: db").contains(status.getLastBackupName());
    List<RepositoryBackup> repository =
        InfoParser.backups(kubectlExec("pgbackrest", "info", "--output=json").output(), "db");
    RepositoryBackup same =
        repository.stream()
            .filter(b -> b.label().equals(status.getLastBackupName()))
            .findFirst()
            .orElseThrow();
    assertThat(BackupStatusFigures.humanBytes(same.databaseBytes()))
        .isEqualTo(status.getLastBackupSize());
    assertThat(same.walStart()).isEqualTo(record.getWalStart());
    assertThat(Instant.parse(status.getLastBackup())).isEqualTo(same.stopped());
    assertThat(same.annotation(BackupPolicy.OWNER_ANNOTATION)).isEqualTo("once");

    // The repository's files are in the bucket, under the cluster's own path.
    assertThat(s3.objects(BUCKET, "pgbackrest/" + NAMESPACE.name() + "/bk/backup/db"))
        .anyMatch(o -> o.contains(status.getLastBackupName()));
  }

  @Test
  @Order(2)
  void walIsArchivedContinuously() {
    cluster.tryOnPrimary("insert into t select g from generate_series(10001, 20000) g");
    long before = cluster.queryLong("select archived_count from pg_stat_archiver");
    cluster.tryOnPrimary("select pg_switch_wal()");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> cluster.queryLong("select archived_count from pg_stat_archiver") > before);
    assertThat(s3.objects(BUCKET, "pgbackrest/" + NAMESPACE.name() + "/bk/archive/db"))
        .anyMatch(o -> o.endsWith(".zst"));
  }

  @Test
  @Order(3)
  void theTriggerAnnotationTakesAnIncrementalBackupAndCanBeSetAgain() {
    trigger("once", false);
    PostgresBackupStatus status = awaitBackups("once", 2);
    assertThat(status.getLastBackupType()).isEqualTo("incr");
    assertThat(status.getLastBackupName()).endsWith("I");
    assertThat(status.getBackups().get(1).getName())
        .startsWith(status.getBackups().get(0).getName());
    assertThat(annotations("once")).doesNotContainKey(PostgresBackup.TRIGGER_ANNOTATION);
  }

  @Test
  @Order(4)
  void retentionByCountKeepsTheNewestAndEveryKeepForeverBackup() {
    apply("keep", "0 2 1 1 *", 1);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> status("keep") != null && status("keep").getPhase() == BackupPhase.Scheduled);
    assertThat(status("keep").getNextScheduled()).isNotNull();
    assertThat(status("keep").getBackupCount()).isNull();

    trigger("keep", true);
    String pinned = awaitBackups("keep", 1).getLastBackupName();
    trigger("keep", false);
    PostgresBackupStatus two = awaitBackups("keep", 2);
    String second = two.getLastBackupName();
    trigger("keep", false);
    PostgresBackupStatus after = awaitLastBackupNot("keep", second);
    assertThat(after.getBackups()).extracting(BackupRecord::getName).contains(pinned);
    assertThat(after.getBackups()).extracting(BackupRecord::getName).doesNotContain(second);
    assertThat(after.getBackupCount()).isEqualTo(2);
    assertThat(after.getBackups())
        .filteredOn(b -> b.getName().equals(pinned))
        .singleElement()
        .extracting(BackupRecord::getKeepForever)
        .isEqualTo(true);
    // The other resource's backups are untouched.
    assertThat(status("once").getBackupCount()).isEqualTo(2);
    assertThat(
            InfoParser.backups(kubectlExec("pgbackrest", "info", "--output=json").output(), "db"))
        .extracting(RepositoryBackup::label)
        .doesNotContain(second)
        .contains(pinned);
  }

  @Test
  @Order(5)
  void aScheduleEveryMinuteTakesBackupsOnItsOwn() {
    apply("minutely", "* * * * *", 5);
    await().atMost(Duration.ofSeconds(30)).until(() -> status("minutely") != null);
    Instant next = Instant.parse(status("minutely").getNextScheduled());
    assertThat(next).isAfter(Instant.now().minusSeconds(1)).isBefore(Instant.now().plusSeconds(61));
    PostgresBackupStatus status = awaitBackups("minutely", 1, Duration.ofSeconds(240));
    assertThat(Instant.parse(status.getLastBackup())).isAfterOrEqualTo(next);
    assertThat(Instant.parse(status.getNextScheduled())).isAfter(next);
    assertThat(status.getPhase()).isIn(BackupPhase.Scheduled, BackupPhase.Running);
    client
        .resources(PostgresBackup.class)
        .inNamespace(NAMESPACE.name())
        .withName("minutely")
        .delete();
  }

  @Test
  @Order(6)
  void specBackupScheduleBecomesThePostgresBackupNameScheduleAndGoesWithIt() {
    Edits.edit(
        client.resources(PostgresCluster.class).inNamespace(NAMESPACE.name()).withName("bk"),
        c -> {
          c.getSpec().getBackup().setSchedule("@daily");
          RetentionSpec retention = new RetentionSpec();
          retention.setCount(3);
          c.getSpec().getBackup().setRetention(retention);
          return c;
        });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              PostgresBackup scheduled =
                  client
                      .resources(PostgresBackup.class)
                      .inNamespace(NAMESPACE.name())
                      .withName("bk-schedule")
                      .get();
              assertThat(scheduled).isNotNull();
              assertThat(scheduled.getSpec().getClusterName()).isEqualTo("bk");
              assertThat(scheduled.getSpec().getSchedule()).isEqualTo("@daily");
              assertThat(scheduled.getSpec().getRetention().getCount()).isEqualTo(3);
              assertThat(scheduled.getSpec().getRetention().getDays()).isEqualTo(7);
              assertThat(scheduled.getStatus()).isNotNull();
              assertThat(scheduled.getStatus().getPhase()).isEqualTo(BackupPhase.Scheduled);
              assertThat(Instant.parse(scheduled.getStatus().getNextScheduled()))
                  .isAfter(Instant.now());
            });
    Edits.edit(
        client.resources(PostgresCluster.class).inNamespace(NAMESPACE.name()).withName("bk"),
        c -> {
          c.getSpec().getBackup().setSchedule(null);
          c.getSpec().getBackup().setRetention(null);
          return c;
        });
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                client
                        .resources(PostgresBackup.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("bk-schedule")
                        .get()
                    == null);
  }

  @Test
  @Order(7)
  void retentionRemovesTheWalOnlyExpiredBackupsNeeded() {
    String info = kubectlExec("pgbackrest", "info", "--output=json").output();
    String minBefore = InfoParser.archiveMin(info, "db");
    String oldest = InfoParser.backups(info, "db").get(0).label();
    assertThat(status("once").getBackups().get(0).getName()).isEqualTo(oldest);
    Edits.edit( // "once" keeps one backup from now on: its next one is full, and its first chain
        // (the oldest
        // backups of the repository, which nothing else builds on) goes, with the WAL before
        // the
        // oldest full left.
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName("once"),
        b -> {
          RetentionSpec retention = new RetentionSpec();
          retention.setCount(1);
          b.getSpec().setRetention(retention);
          return b;
        });
    cluster.tryOnPrimary("insert into t select g from generate_series(20001, 30000) g");
    trigger("once", false);
    PostgresBackupStatus status = awaitBackups("once", 1);
    assertThat(status.getLastBackupType()).isEqualTo("full");
    String after = kubectlExec("pgbackrest", "info", "--output=json").output();
    List<RepositoryBackup> left = InfoParser.backups(after, "db");
    assertThat(left).extracting(RepositoryBackup::label).doesNotContain(oldest);
    String minAfter = InfoParser.archiveMin(after, "db");
    assertThat(minAfter).isGreaterThan(minBefore);
    assertThat(minAfter).isLessThanOrEqualTo(left.get(0).walStart());
  }

  private static TestBed.Result kubectlExec(String... command) {
    String[] args = new String[5 + command.length];
    args[0] = "exec";
    args[1] = "-n";
    args[2] = NAMESPACE.name();
    args[3] = cluster.primaryPod();
    args[4] = "--";
    System.arraycopy(command, 0, args, 5, command.length);
    return NAMESPACE.testBed().kubectl(args);
  }

  private static void apply(String name, String schedule, Integer count) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec:\n  clusterName: bk\n"
            + (schedule == null ? "" : "  schedule: \"" + schedule + "\"\n")
            + (count == null ? "" : "  retention:\n    count: " + count + "\n");
    client
        .resource(client.getKubernetesSerialization().unmarshal(yaml, PostgresBackup.class))
        .create();
  }

  private static void trigger(String name, boolean keepForever) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !annotations(name).containsKey(PostgresBackup.TRIGGER_ANNOTATION));
    Edits.edit(
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName(name),
        b -> {
          b.getMetadata().getAnnotations().put(PostgresBackup.TRIGGER_ANNOTATION, "now");
          if (keepForever) {
            b.getMetadata().getAnnotations().put(PostgresBackup.KEEP_FOREVER_ANNOTATION, "true");
          } else {
            b.getMetadata().getAnnotations().remove(PostgresBackup.KEEP_FOREVER_ANNOTATION);
          }
          return b;
        });
  }

  private static Map<String, String> annotations(String name) {
    PostgresBackup b =
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName(name).get();
    return b.getMetadata().getAnnotations() == null ? Map.of() : b.getMetadata().getAnnotations();
  }

  private static PostgresBackupStatus status(String name) {
    PostgresBackup b =
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName(name).get();
    return b == null ? null : b.getStatus();
  }

  private static PostgresBackupStatus awaitBackups(String name, int count) {
    return awaitBackups(name, count, BACKUP_WITHIN);
  }

  /** Waits until {@code count} backups of {@code name} are done and none runs. */
  private static PostgresBackupStatus awaitBackups(String name, int count, Duration within) {
    BackupDiagnostics.onTimeout(
        NAMESPACE,
        name,
        () ->
            await()
                .atMost(within)
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(
                    () -> {
                      PostgresBackupStatus s = status(name);
                      assertThat(s).isNotNull();
                      assertThat(s.getPhase()).as(s.getMessage()).isNotIn(BackupPhase.Failed);
                      assertThat(s.getBackupCount()).as(s.getMessage()).isEqualTo(count);
                      assertThat(s.getPhase()).isNotEqualTo(BackupPhase.Running);
                    }));
    return status(name);
  }

  private static PostgresBackupStatus awaitLastBackupNot(String name, String label) {
    BackupDiagnostics.onTimeout(
        NAMESPACE,
        name,
        () ->
            await()
                .atMost(BACKUP_WITHIN)
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(
                    () -> {
                      PostgresBackupStatus s = status(name);
                      assertThat(s.getPhase()).as(s.getMessage()).isNotIn(BackupPhase.Failed);
                      assertThat(s.getLastBackupName()).as(s.getMessage()).isNotEqualTo(label);
                      assertThat(s.getPhase()).isNotEqualTo(BackupPhase.Running);
                    }));
    return status(name);
  }
}
