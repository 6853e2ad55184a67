package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.PodCommand;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The short repository commands the operator runs itself in a member's PostgreSQL container (exec
 * API), around the backup Jobs: reading the repository ({@code pgbackrest info --output=json},
 * seconds), retention after a successful backup ({@code expire --set}, metadata and file deletions)
 * and the list of streaming replicas for a backup from a replica. The backup itself, long and
 * heavy, runs in a Job ({@link io.pgtrickle.operator.backup.spec.BackupJob}).
 *
 * @param client the operator's client
 * @param namespace the cluster's namespace
 * @param pod the member to run them in (the primary)
 */
record RepositoryCommands(KubernetesClient client, String namespace, String pod) {

  private static final Duration SHORT = Duration.ofMinutes(5);

  /**
   * The bound of {@code pgbackrest info}: it reads two small files of the repository (seconds), and
   * the reconcile that waits for it holds the PostgresBackup's status meanwhile.
   */
  static final Duration INFO = Duration.ofSeconds(60);

  /**
   * The repository's backups, oldest first.
   *
   * @throws IllegalStateException with pgBackRest's last lines when it cannot be read
   */
  List<RepositoryBackup> info() throws TimeoutException, InterruptedException {
    PodCommand.Result info = pgbackrest(INFO, "info", "--output=json");
    if (!info.ok()) {
      throw new IllegalStateException("pgbackrest info failed: " + info.tail());
    }
    return InfoParser.backups(info.stdout(), PgBackRest.STANZA);
  }

  /**
   * Removes the sets retention names ({@link BackupPolicy#expire}), then the archived WAL older
   * than the oldest full backup left.
   *
   * @return null when all went well, else what failed
   */
  String expire(List<String> sets) throws TimeoutException, InterruptedException {
    for (String set : sets) {
      PodCommand.Result expire = pgbackrest(SHORT, "expire", "--set=" + set);
      if (!expire.ok()) {
        return "retention failed to remove " + set + ": " + expire.tail();
      }
    }
    long fulls = info().stream().filter(RepositoryBackup::isFull).count();
    if (fulls == 0) {
      return null;
    }
    // Archive retention counted in full backups, as many as there are: pgBackRest keeps the WAL
    // of every backup that stays and removes no backup (its own backup retention is off).
    PodCommand.Result wal =
        pgbackrest(
            SHORT,
            "expire",
            "--repo1-retention-archive-type=full",
            "--repo1-retention-archive=" + fulls);
    return wal.ok() ? null : "expiring the WAL no backup needs failed: " + wal.tail();
  }

  /**
   * The members streaming from the primary (pg_stat_replication's application_name is Patroni's
   * member name, the pod's), by name.
   */
  List<String> streamingReplicas(String cluster) throws TimeoutException, InterruptedException {
    String prefix = cluster + "-";
    PodCommand.Result result =
        PodCommand.run(
            client,
            namespace,
            pod,
            ClusterStatefulSet.CONTAINER,
            SHORT,
            "sh",
            "-c",
            "PGPASSWORD=\"$PATRONI_SUPERUSER_PASSWORD\" exec"
                + " \"${PATRONI_POSTGRESQL_BIN_DIR:+$PATRONI_POSTGRESQL_BIN_DIR/}psql\" -XAtq -h "
                + PgBackRest.SOCKET_DIR
                + " -U \"$PGBACKREST_PG1_USER\" -d postgres -c \"select application_name from"
                + " pg_stat_replication where state = 'streaming' order by application_name\"");
    if (!result.ok()) {
      throw new IllegalStateException(
          "could not list the streaming replicas on " + pod + ": " + result.tail());
    }
    return result.stdout().lines().map(String::strip).filter(n -> n.startsWith(prefix)).toList();
  }

  private PodCommand.Result pgbackrest(Duration timeout, String... args)
      throws TimeoutException, InterruptedException {
    List<String> command = new ArrayList<>(PgBackRest.RUN_WITH_PASSWORD);
    command.add("--stanza=" + PgBackRest.STANZA);
    command.addAll(List.of(args));
    return PodCommand.run(
        client,
        namespace,
        pod,
        ClusterStatefulSet.CONTAINER,
        timeout,
        command.toArray(String[]::new));
  }
}
