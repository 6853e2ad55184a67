package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 002 Ticket 3's demo script, step by step with the test bed's kubectl (issue #16: "Done when
 * seed 002 Ticket 3's demo script runs as written on the test bed, with S3 from the local S3
 * server"). {@code my-cluster} is the seed's (PostgreSQL 16) with {@code spec.backup} to s3proxy;
 * the PostgresBackup and the restored cluster are the seed's YAML verbatim ({@code
 * seed-examples/002-l229-*}, {@code 002-l255-*}), applied with {@code kubectl apply}; the trigger
 * annotation, {@code kubectl get postgresbackup} with the ticket's columns and {@code kubectl exec
 * my-cluster-0 -- pgbackrest info} as written. The script's restore target, 2024-01-15T01:30:00Z,
 * is before any backup of this run: the restored cluster fails with that reason and promotes
 * nothing; the same YAML with a time of this run between two writes (and another name) restores the
 * rows before it.
 */
class BackupDemoScriptIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Path SEED = Path.of("src/test/resources/seed-examples");

  @Test
  void theTicketsDemoScriptRunsAsWritten() throws Exception {
    KubernetesClient client = NAMESPACE.client();
    TestBed bed = NAMESPACE.testBed();
    String ns = NAMESPACE.name();
    try (S3Server s3 = S3Server.start(bed)) {
      s3.createBucket("backups");
      secret(
          client,
          "s3-credentials",
          Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey()));
      secret(client, "s3-ca", Map.of("ca.crt", s3.caPem()));
      try (HaCluster myCluster =
          HaCluster.startWith(
              bed,
              ns,
              "my-cluster",
              16,
              1,
              "  backup:\n    destination:\n      type: S3\n      endpoint: "
                  + s3.endpoint()
                  + "\n      bucket: backups\n      region: us-east-1\n"
                  + "      credentialsSecret: s3-credentials\n      caSecret: s3-ca\n")) {
        sql(myCluster, "create table orders (id int primary key, item text)");
        sql(myCluster, "insert into orders values (1, 'A'), (2, 'B')");

        // Create backup schedule
        ok(bed.kubectl("apply", "-n", ns, "-f", seed("002-l229-postgresbackup-my-cluster-backup")));
        // Trigger manual backup
        ok(
            bed.kubectl(
                "annotate",
                "-n",
                ns,
                "postgresbackup",
                "my-cluster-backup",
                "backup.postgres.example.com/trigger=now"));
        // Watch backup progress: the ticket's columns, filled in. On a timeout, the Job's pods
        // and their logs say which link broke.
        BackupDiagnostics.onTimeout(
            NAMESPACE,
            "my-cluster-backup",
            () ->
                await()
                    .atMost(Duration.ofSeconds(240))
                    .pollInterval(Duration.ofSeconds(2))
                    .untilAsserted(
                        () -> {
                          TestBed.Result get = bed.kubectl("get", "-n", ns, "postgresbackup");
                          ok(get);
                          String[] lines = get.output().strip().split("\n");
                          assertThat(lines[0].split("\\s{2,}"))
                              .containsExactly(
                                  "NAME",
                                  "CLUSTER",
                                  "LAST BACKUP",
                                  "SIZE",
                                  "COUNT",
                                  "NEXT SCHEDULED",
                                  "STATUS");
                          String[] row = lines[1].split("\\s{2,}");
                          assertThat(row).as(get.output()).hasSize(7);
                          assertThat(row[0]).isEqualTo("my-cluster-backup");
                          assertThat(row[1]).isEqualTo("my-cluster");
                          assertThat(row[2]).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d.*");
                          assertThat(row[3]).matches("[0-9.]+ ?[kKMGT]?i?B");
                          assertThat(row[4]).isEqualTo("1");
                          assertThat(row[5]).contains("T02:00:00");
                          assertThat(row[6]).isEqualTo("Scheduled");
                        }));
        // List backups
        TestBed.Result info =
            bed.kubectl("exec", "-n", ns, "my-cluster-0", "--", "pgbackrest", "info");
        ok(info);
        assertThat(info.output()).contains("stanza: db").contains("full backup: ");

        // PITR target of this run: after A and B, before C, with C archived.
        Instant target = Instant.now();
        Thread.sleep(1500);
        sql(myCluster, "insert into orders values (3, 'C')");
        sql(myCluster, "select pg_switch_wal()");
        long archived = myCluster.queryLong("select archived_count from pg_stat_archiver");
        sql(myCluster, "select pg_switch_wal()");
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () ->
                    myCluster.queryLong("select archived_count from pg_stat_archiver") > archived);

        // Restore from backup (creates new cluster), as written: its target predates the backup.
        ok(bed.kubectl("apply", "-n", ns, "-f", seed("002-l255-postgrescluster-restored-cluster")));
        try (HaCluster restored = HaCluster.adopt(myCluster, "restored-cluster")) {
          await()
              .atMost(Duration.ofSeconds(240))
              .untilAsserted(
                  () -> {
                    PostgresClusterStatus s = restored.cluster().getStatus();
                    assertThat(s).isNotNull();
                    assertThat(s.getPhase()).as(s.getMessage()).isEqualTo(ClusterPhase.Failed);
                    assertThat(s.getPhaseReason()).isEqualTo("RestoreFailed");
                  });
          assertThat(restored.cluster().getStatus().getMessage())
              .contains("2024-01-15 01:30:00")
              .contains("nothing was promoted");
          assertThat(restored.cluster().getStatus().getPrimaryPod()).isNull();
        }
        // The same YAML with this run's time restores A and B without C.
        String yaml =
            Files.readString(Path.of(seed("002-l255-postgrescluster-restored-cluster")))
                .replace("2024-01-15T01:30:00Z", target.toString())
                .replace("name: restored-cluster", "name: restored-now");
        Path file = Files.createTempFile("restored-cluster", ".yaml");
        try {
          Files.writeString(file, yaml);
          ok(bed.kubectl("apply", "-n", ns, "-f", file.toString()));
          try (HaCluster restored = HaCluster.adopt(myCluster, "restored-now")) {
            restored.awaitRunning(Duration.ofSeconds(300));
            assertThat(restored.queryLong("select count(*) from orders where id in (1, 2)"))
                .isEqualTo(2L);
            assertThat(restored.queryLong("select count(*) from orders where id = 3")).isZero();
          }
        } finally {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  private static String seed(String name) {
    return SEED.resolve(name + ".yaml").toAbsolutePath().toString();
  }

  private static void ok(TestBed.Result result) {
    assertThat(result.ok()).as(result.output()).isTrue();
  }

  private static void sql(HaCluster cluster, String sql) throws Exception {
    try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow());
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static void secret(KubernetesClient client, String name, Map<String, String> data) {
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
}
