package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.backup.spec.BackupJob;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failover never waits on the backup repository: with the S3 server frozen (SIGSTOP: connections
 * hang unanswered, the worst case for a client), WAL archiving fails while writes go on, a crash of
 * the primary still recovers within the HA objective, and once the server answers again the new
 * primary archives what waited, its new timeline included; what waited on the old primary is left
 * behind, and the condition {@code ContinuousArchiving} says so ({@value ContinuousArchiving#GAP},
 * naming it) until a new backup makes a restore whole. And a backup asked for while the server is
 * frozen names the repository in the condition {@value BackupOutcomes#REPOSITORY_CONDITION} False,
 * {@value BackupOutcomes#REPOSITORY_UNREACHABLE}, within seconds: {@code pgbackrest info} gives up
 * after its short {@code io-timeout} ({@link RepositoryCommands#INFO_IO_TIMEOUT_SECONDS}) instead
 * of holding the reconcile until the exec's bound, and that backup is full (the repository's
 * backups are unknown).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepositoryOutageIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BUCKET = "backups";

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
                        "AWS_SECRET_ACCESS_KEY", s3.secretKey(),
                        "ca.crt", s3.caPem()))
                .build())
        .create();
    cluster =
        HaCluster.startWith(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "out",
            HaCluster.testedMajor(),
            2,
            // Fast failover off: the crashed primary's Patroni, restarted at once, keeps its
            // leader lock and first pushes the WAL files waiting in pg_wal (Patroni's crash
            // recovery), which hang on the frozen store. A CI run (2026-12-07) got there by the
            // race between that restart and the operator's lock release, and no primary served
            // for minutes; this way every run takes that path.
            "  patroni:\n    fastFailover: false\n"
                + "  backup:\n    destination:\n      type: S3\n      endpoint: "
                + s3.endpoint()
                + "\n      bucket: "
                + BUCKET
                + "\n      region: us-east-1\n      credentialsSecret: s3-credentials\n"
                + "      caSecret: s3-credentials\n");
  }

  @AfterAll
  static void stop() {
    if (s3 != null) {
      s3.resume();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  @Order(1)
  void aCrashFailoverWithTheRepositoryUnreachableMeetsTheObjectiveAndArchivingCatchesUp()
      throws Exception {
    // No backup yet: archive-push fails without the stanza, and the operator creates it rather
    // than let WAL wait in pg_wal for the first backup (a trial, 2026-12-07: WAL waited, and the
    // condition did not say why).
    String beforeAnyBackup = query("select pg_walfile_name(pg_switch_wal())");
    await("WAL archived before any backup")
        .atMost(Duration.ofSeconds(240))
        .pollInterval(Duration.ofSeconds(2))
        .ignoreExceptions()
        .until(
            () -> query("select coalesce(last_archived_wal, '') from pg_stat_archiver"),
            last -> last.compareTo(beforeAnyBackup) >= 0);
    await("ContinuousArchiving True before any backup")
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> archivingCondition().orElse(null),
            c -> c != null && "True".equals(c.getStatus()));
    awaitSucceeded("first");
    cluster.tryOnPrimary("create table acked (id int primary key)");
    cluster.awaitReplicationHealthy(Duration.ofSeconds(120));

    s3.pause();
    for (int i = 0; i < 100; i++) {
      assertThat(cluster.tryOnPrimary("insert into acked values (" + i + ")")).isTrue();
    }
    // Writes go on; the WAL file they filled waits for the repository.
    String waiting = query("select pg_walfile_name(pg_switch_wal())");
    Thread.sleep(5000);
    assertThat(query("select coalesce(last_archived_wal, '') from pg_stat_archiver"))
        .isLessThan(waiting);
    // The push hangs rather than fails: the condition says so once a file waited a minute (it
    // showed WalArchived for minutes, until pgBackRest gave up).
    Condition archiving =
        await("ContinuousArchiving False")
            .atMost(Duration.ofSeconds(180))
            .until(
                () ->
                    Optional.ofNullable(cluster.cluster().getStatus().getConditions())
                        .flatMap(
                            cs ->
                                cs.stream()
                                    .filter(c -> ContinuousArchiving.TYPE.equals(c.getType()))
                                    .findFirst())
                        .orElse(null),
                c -> c != null && "False".equals(c.getStatus()));
    System.out.println("archiving with the repository frozen: " + archiving.getMessage());
    assertThat(archiving.getReason())
        .isIn(
            ContinuousArchiving.STALLED,
            ContinuousArchiving.FAILING,
            BackupOutcomes.REPOSITORY_UNREACHABLE);

    // A second WAL file waits behind the first: the archiver pushes one at a time, so the crash
    // leaves at least this one behind whatever becomes of the push in flight.
    assertThat(cluster.tryOnPrimary("insert into acked values (500)")).isTrue();
    String second = query("select pg_walfile_name(pg_switch_wal())");
    assertThat(second).isGreaterThan(waiting);

    String old = cluster.primaryPod();
    cluster.pods().crash(old);
    double seconds = cluster.secondsUntilWritable("insert into acked values (1000)");
    System.out.println("crash recovery with the repository unreachable: " + seconds + " s");
    assertThat(seconds).isLessThan(HaCluster.OBJECTIVE.toSeconds());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !old.equals(cluster.cluster().getStatus().getPrimaryPod()));
    int timeline =
        Integer.parseInt(query("select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"), 16);
    String history = String.format("%08X.history", timeline);
    assertThat(s3.objects(BUCKET, "pgbackrest/" + NAMESPACE.name() + "/out/archive/db"))
        .noneMatch(o -> o.contains(history));

    s3.resume();
    String after = query("select pg_walfile_name(pg_switch_wal())");
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              assertThat(query("select coalesce(last_archived_wal, '') from pg_stat_archiver"))
                  .isGreaterThanOrEqualTo(after);
              assertThat(s3.objects(BUCKET, "pgbackrest/" + NAMESPACE.name() + "/out/archive/db"))
                  .anyMatch(o -> o.contains(history));
            });
    // What waited on the old primary was left behind: a restore from "first" to the latest point
    // would end there, so the condition says so, naming it (a trial's silent loss, 2026-12-07).
    // Which of the old timeline's segments are missing depends on timing (runs named 5-6, 6 and
    // 7 with 5 waiting): some are archived once the server answers. So the test asks for at least
    // one from the one that waited on, and a second waits behind it; should every one be archived
    // after all, no gap is reported, and the archive must then really hold them all.
    Optional<Condition> gap;
    try {
      gap =
          Optional.of(
              await("ContinuousArchiving ArchiveGap")
                  .atMost(Duration.ofSeconds(120))
                  .until(
                      () -> archivingCondition().orElse(null),
                      c -> c != null && ContinuousArchiving.GAP.equals(c.getReason())));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      gap = Optional.empty();
    }
    if (gap.isPresent()) {
      System.out.println("after the outage: " + gap.get().getMessage());
      assertThat(gap.get().getStatus()).isEqualTo("False");
      java.util.List<String> named =
          java.util.regex.Pattern.compile("WAL ([0-9A-F]{24})")
              .matcher(gap.get().getMessage())
              .results()
              .map(m -> m.group(1))
              .toList();
      assertThat(named)
          .isNotEmpty()
          .allSatisfy(
              segment ->
                  assertThat(segment)
                      .startsWith(waiting.substring(0, 8))
                      .isGreaterThanOrEqualTo(waiting));
    } else {
      java.util.List<String> objects =
          s3.objects(BUCKET, "pgbackrest/" + NAMESPACE.name() + "/out/archive/db");
      String newTimeline = String.format("%08X", timeline);
      String begins =
          objects.stream()
              .map(o -> o.substring(o.lastIndexOf('/') + 1))
              .filter(f -> f.matches("^[0-9A-F]{24}-.*") && f.startsWith(newTimeline))
              .map(f -> f.substring(0, 24))
              .min(String::compareTo)
              .orElseThrow();
      System.out.println("after the outage: no gap; timeline " + timeline + " begins at " + begins);
      for (long n = Long.parseLong(waiting.substring(16), 16);
          n < Long.parseLong(begins.substring(16), 16);
          n++) {
        String segment = waiting.substring(0, 16) + String.format("%08X", n);
        assertThat(objects).as("no gap reported").anyMatch(o -> o.contains(segment + "-"));
      }
    }
  }

  @Test
  @Order(2)
  void aBackupAskedForWhileTheRepositoryIsFrozenNamesItInTheConditionWithinSeconds() {
    awaitSucceeded("before-freeze");
    assertThat(repositoryCondition("before-freeze"))
        .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
    // A restore from the new backup is whole: the gap is no longer reported.
    await("ContinuousArchiving True after a new backup")
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> archivingCondition().orElse(null),
            c -> c != null && "True".equals(c.getStatus()));

    s3.pause();
    try {
      long start = System.nanoTime();
      createBackup("while-frozen");
      Condition c =
          await()
              .atMost(Duration.ofSeconds(45))
              .until(
                  () -> repositoryCondition("while-frozen").orElse(null),
                  o -> o != null && "False".equals(o.getStatus()));
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.println("repository unreachable in status after " + seconds + " s");
      assertThat(c.getReason()).isEqualTo(BackupOutcomes.REPOSITORY_UNREACHABLE);
      assertThat(c.getMessage())
          .startsWith("repository S3 bucket " + BUCKET + " at " + s3.endpoint() + ", path ")
          .contains("is unreachable: ")
          .contains("timeout");
      // info gives up after its retries, each waiting io-timeout at most, before the exec's bound.
      assertThat(seconds).isLessThan(RepositoryCommands.INFO.toSeconds());
      // The repository's backups are unknown: the next one is full.
      assertThat(
              client
                  .batch()
                  .v1()
                  .jobs()
                  .inNamespace(NAMESPACE.name())
                  .withName(BackupNames.job("while-frozen", 1))
                  .get()
                  .getMetadata()
                  .getAnnotations())
          .containsEntry(BackupJob.TYPE_ANNOTATION, "full");
    } finally {
      s3.resume();
    }
  }

  /**
   * A Job planned before a failover names the old primary ({@value BackupJob#MEMBER_ANNOTATION});
   * pgBackRest backs up the new one, and the status names that one (a backup trial, 2026-12-07: it
   * named the planned member). Made as {@code kubectl create job --from=cronjob/...} makes it, with
   * the member annotation of a plan made on the old timeline.
   */
  @Test
  @Order(3)
  void aBackupPlannedBeforeTheFailoverNamesTheMemberItRead() {
    await("while-frozen done")
        .atMost(Duration.ofSeconds(180))
        .until(() -> backup("while-frozen").getStatus().getPhase() == BackupPhase.Succeeded);
    String old = backup("first").getStatus().getLastBackupMember();
    String primary = cluster.cluster().getStatus().getPrimaryPod();
    assertThat(old).isNotNull().isNotEqualTo(primary);
    assertThat(backup("before-freeze").getStatus().getLastBackupMember()).isEqualTo(primary);

    client
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                        + "  name: nightly\n  namespace: "
                        + NAMESPACE.name()
                        + "\nspec:\n  clusterName: out\n  schedule: \"0 2 * * *\"\n",
                    PostgresBackup.class))
        .create();
    CronJob cron =
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    client
                        .batch()
                        .v1()
                        .cronjobs()
                        .inNamespace(NAMESPACE.name())
                        .withName("nightly")
                        .get(),
                c -> c != null);
    ManualJob.create(client, cron, "nightly-manual", Map.of(BackupJob.MEMBER_ANNOTATION, old));

    PostgresBackupStatus status =
        await()
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> backup("nightly").getStatus(),
                st -> st != null && "nightly-manual".equals(st.getLastJob()));
    System.out.println("backup planned on " + old + ": " + status.getMessage());
    assertThat(status.getLastBackupMember()).as(status.getMessage()).isEqualTo(primary);
    assertThat(status.getMessage()).contains("of primary " + primary + " completed");
  }

  private static void createBackup(String name) {
    client
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                        + "  name: "
                        + name
                        + "\n  namespace: "
                        + NAMESPACE.name()
                        + "\nspec:\n  clusterName: out\n",
                    PostgresBackup.class))
        .create();
  }

  /** Creates a one-off backup and waits until it succeeded. */
  private static void awaitSucceeded(String name) {
    createBackup(name);
    await()
        .atMost(Duration.ofSeconds(180))
        .until(
            () -> {
              PostgresBackup b = backup(name);
              return b.getStatus() != null && b.getStatus().getPhase() == BackupPhase.Succeeded;
            });
  }

  private static PostgresBackup backup(String name) {
    return client
        .resources(PostgresBackup.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .get();
  }

  private static Optional<Condition> archivingCondition() {
    return Optional.ofNullable(cluster.cluster().getStatus().getConditions())
        .flatMap(
            cs ->
                cs.stream().filter(c -> ContinuousArchiving.TYPE.equals(c.getType())).findFirst());
  }

  private static Optional<Condition> repositoryCondition(String name) {
    PostgresBackup b = backup(name);
    if (b == null || b.getStatus() == null || b.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return b.getStatus().getConditions().stream()
        .filter(c -> BackupOutcomes.REPOSITORY_CONDITION.equals(c.getType()))
        .findFirst();
  }

  private static String query(String sql) throws SQLException {
    String ip =
        await().atMost(Duration.ofSeconds(30)).until(cluster::primaryIp, o -> o.isPresent()).get();
    try (Connection c = cluster.connect(ip);
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
