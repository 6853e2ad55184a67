package io.pgtrickle.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The operator's own backup path in {@code make bench-backup}: a one-off PostgresBackup, so a
 * Kubernetes Job whose pod runs pgBackRest (with the cluster's {@code spec.backup.processMax}) and
 * reads the member through the member's pgBackRest TLS server, writing the cluster's repository
 * (the bench's in-container backups run pgBackRest beside PostgreSQL instead).
 *
 * <p>Two times: <b>end to end</b>, from the resource's creation until its status says Succeeded
 * (polled every 100 ms: the Job's creation, its pod's start, {@code stanza-create}, the servers'
 * ping, the backup, the operator's {@code info} after it), what a user waits for; and
 * <b>pgBackRest's own</b>, from the backup's start to its stop as {@code pgbackrest info} records
 * them (whole seconds, so within a second either way).
 */
final class OperatorBackupTiming {

  record Timing(String label, long bytes, double endToEndSeconds, long pgBackRestSeconds) {

    double endToEndMbps() {
      return bytes / 1e6 / endToEndSeconds;
    }

    double pgBackRestMbps() {
      return bytes / 1e6 / Math.max(1, pgBackRestSeconds);
    }
  }

  private OperatorBackupTiming() {}

  /**
   * Creates the PostgresBackup {@code name} for {@code cluster}, waits for its Job's backup and
   * times it.
   *
   * @param info the repository's backups, listed after the Job ({@code pgbackrest info})
   * @throws IllegalStateException if the backup fails or takes longer than {@code within}
   */
  static Timing run(
      KubernetesClient client,
      String namespace,
      String cluster,
      String name,
      Duration within,
      Supplier<List<RepositoryBackup>> info)
      throws InterruptedException {
    PostgresBackup backup =
        client
            .getKubernetesSerialization()
            .unmarshal(
                "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n  name: "
                    + name
                    + "\n  namespace: "
                    + namespace
                    + "\nspec:\n  clusterName: "
                    + cluster
                    + "\n",
                PostgresBackup.class);
    long start = System.nanoTime();
    client.resource(backup).create();
    PostgresBackupStatus status;
    while (true) {
      status =
          client
              .resources(PostgresBackup.class)
              .inNamespace(namespace)
              .withName(name)
              .get()
              .getStatus();
      BackupPhase phase = status == null ? null : status.getPhase();
      if (phase == BackupPhase.Succeeded) {
        break;
      }
      if (phase == BackupPhase.Failed) {
        throw new IllegalStateException("the operator's backup failed: " + status.getMessage());
      }
      if (System.nanoTime() - start > within.toNanos()) {
        throw new IllegalStateException(
            "the operator's backup did not succeed within "
                + within
                + (status == null ? "" : ": " + status.getMessage()));
      }
      Thread.sleep(100);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String label = status.getLastBackupName();
    RepositoryBackup made =
        info.get().stream()
            .filter(b -> b.label().equals(label))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException(label + " is not in pgbackrest info"));
    if (!made.isFull()) {
      throw new IllegalStateException(label + " is " + made.type() + ", not a full backup");
    }
    long own = Duration.between(made.started(), made.stopped()).toSeconds();
    Timing timing = new Timing(label, made.databaseBytes(), seconds, own);
    System.out.printf(
        Locale.ROOT,
        "operator's backup %s (PostgresBackup, Job, TLS server): %s, %.0f MB, %.1f s end to end,"
            + " %d s in pgBackRest%n",
        name,
        label,
        made.databaseBytes() / 1e6,
        seconds,
        own);
    return timing;
  }
}
