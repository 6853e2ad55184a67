package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.PodCommand;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.backup.spec.PgBackRestServer;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * One backup of a PostgresBackup, run in the cluster's primary pod through the exec API: the stanza
 * (created if missing, idempotent), the backup ({@link BackupPolicy} picks full or incr, annotated
 * with the resource's name), retention ({@code expire --set} for each set it removes, then the WAL
 * older than the oldest full left), and the repository's backups afterwards ({@code info
 * --output=json}).
 *
 * @param client the operator's client
 * @param namespace the cluster's namespace
 * @param pod the primary pod
 * @param owner the PostgresBackup's name
 * @param count retention count
 * @param days retention days
 * @param keepForever whether this backup is kept forever
 * @param cluster the cluster (with {@code spec.backup.backupFromReplica} the backup itself runs in
 *     a streaming replica's container, {@link PgBackRestServer})
 */
record BackupRun(
    KubernetesClient client,
    String namespace,
    String pod,
    String owner,
    int count,
    int days,
    boolean keepForever,
    PostgresCluster cluster,
    Clock clock) {

  /** The condition reason when a backup from a replica finds no streaming replica. */
  static final String NO_STREAMING_REPLICA = "NoStreamingReplica";

  /** The longest a backup may take before it counts as failed. */
  static final Duration BACKUP_TIMEOUT = Duration.ofHours(6);

  private static final Duration SHORT = Duration.ofMinutes(5);

  /**
   * How long a backup from a replica waits for the primary's pgBackRest TLS server to accept
   * connections (a member that just started, or restarted, starts its sidecar at the same time as
   * PostgreSQL; without it pgBackRest answers "unable to find primary cluster").
   */
  static final Duration SERVER_WAIT = Duration.ofSeconds(60);

  /**
   * What a run produced.
   *
   * @param ok whether the backup completed
   * @param message what happened, for people (the failure's last lines of output)
   * @param label the new backup's label (when ok)
   * @param type full or incr (when ok)
   * @param backups the repository's backups after the run (null when they could not be read)
   * @param expired the sets retention removed
   * @param member the pod whose files the backup read (when ok)
   * @param source primary or replica (when ok)
   * @param reason the condition reason of a failure (null: BackupFailed)
   */
  record Outcome(
      boolean ok,
      String message,
      String label,
      String type,
      List<RepositoryBackup> backups,
      List<String> expired,
      String member,
      String source,
      String reason) {

    static Outcome failure(String message) {
      return new Outcome(false, message, null, null, null, List.of(), null, null, null);
    }
  }

  Outcome call() throws InterruptedException {
    try {
      PodCommand.Result stanza = pgbackrest(SHORT, "stanza-create");
      if (!stanza.ok()) {
        return failed("stanza-create failed: " + stanza.tail());
      }
      List<RepositoryBackup> before = info();
      String type = BackupPolicy.nextType(before, owner, count, days, keepForever, clock.instant());
      List<String> args = new ArrayList<>(List.of("backup", "--type=" + type));
      args.add("--annotation=" + BackupPolicy.OWNER_ANNOTATION + "=" + owner);
      if (keepForever) {
        args.add("--annotation=" + BackupPolicy.KEEP_ANNOTATION + "=true");
      }
      String member = pod;
      String source = "primary";
      if (PgBackRestServer.enabled(cluster)) {
        List<String> replicas = streamingReplicas();
        if (replicas.isEmpty()) {
          return new Outcome(
              false,
              "spec.backup.backupFromReplica: PostgresCluster "
                  + cluster.getMetadata().getName()
                  + " has no streaming replica to back up (pg_stat_replication on "
                  + pod
                  + " lists none)",
              null,
              null,
              null,
              List.of(),
              null,
              null,
              NO_STREAMING_REPLICA);
        }
        member = replicas.get(0);
        source = "replica";
        PodCommand.Result ping = awaitServer(member, PgBackRestServer.host(cluster, pod));
        if (!ping.ok()) {
          return failed(
              "spec.backup.backupFromReplica: the pgBackRest TLS server of primary "
                  + pod
                  + " (container "
                  + PgBackRestServer.CONTAINER
                  + ", port "
                  + PgBackRestServer.PORT
                  + ") does not answer from "
                  + member
                  + " after "
                  + SERVER_WAIT.toSeconds()
                  + " s: "
                  + ping.tail());
        }
        args.addAll(PgBackRestServer.standbyBackupOptions(cluster, pod));
      }
      PodCommand.Result backup = pgbackrestIn(member, BACKUP_TIMEOUT, args.toArray(String[]::new));
      if (!backup.ok()) {
        return failed(
            "pgbackrest backup on "
                + member
                + " failed (exit "
                + backup.exitCode()
                + "): "
                + backup.tail());
      }
      List<RepositoryBackup> after = info();
      List<RepositoryBackup> ours = BackupPolicy.owned(after, owner);
      RepositoryBackup newest = ours.isEmpty() ? null : ours.get(ours.size() - 1);
      if (newest == null || before.stream().anyMatch(b -> b.label().equals(newest.label()))) {
        return failed("pgbackrest backup reported success but the repository lists no new backup");
      }
      List<String> expired = BackupPolicy.expire(after, owner, count, days, clock.instant());
      for (String set : expired) {
        PodCommand.Result expire = pgbackrest(SHORT, "expire", "--set=" + set);
        if (!expire.ok()) {
          return new Outcome(
              true,
              "backup "
                  + newest.label()
                  + " completed; retention failed to remove "
                  + set
                  + ": "
                  + expire.tail(),
              newest.label(),
              newest.type(),
              info(),
              List.of(),
              member,
              source,
              null);
        }
      }
      List<RepositoryBackup> remaining = expired.isEmpty() ? after : info();
      PodCommand.Result wal = expireWal(remaining);
      return new Outcome(
          true,
          "backup "
              + newest.label()
              + " ("
              + newest.type()
              + ") of "
              + source
              + " "
              + member
              + " completed"
              + (wal.ok() ? "" : "; expiring the WAL no backup needs failed: " + wal.tail()),
          newest.label(),
          newest.type(),
          remaining,
          expired,
          member,
          source,
          null);
    } catch (TimeoutException e) {
      return failed("pgbackrest did not finish in time: " + e.getMessage());
    } catch (RuntimeException e) {
      return failed(e.toString());
    }
  }

  /**
   * Removes the archived WAL older than the oldest full backup left (the WAL only expired backups
   * needed): archive retention counted in full backups, as many as there are, so pgBackRest keeps
   * the WAL of every backup that stays (and the WAL each needs to be consistent) and removes no
   * backup (its own backup retention is off, see {@code PgBackRest}).
   */
  private PodCommand.Result expireWal(List<RepositoryBackup> remaining)
      throws TimeoutException, InterruptedException {
    long fulls = remaining.stream().filter(RepositoryBackup::isFull).count();
    if (fulls == 0) {
      return new PodCommand.Result(0, "", "");
    }
    return pgbackrest(
        SHORT,
        "expire",
        "--repo1-retention-archive-type=full",
        "--repo1-retention-archive=" + fulls);
  }

  private List<RepositoryBackup> info() throws TimeoutException, InterruptedException {
    PodCommand.Result info = pgbackrest(SHORT, "info", "--output=json");
    if (!info.ok()) {
      throw new IllegalStateException("pgbackrest info failed: " + info.tail());
    }
    return InfoParser.backups(info.stdout(), PgBackRest.STANZA);
  }

  /**
   * The members streaming from the primary (pg_stat_replication's application_name is Patroni's
   * member name, the pod's), by name.
   */
  private List<String> streamingReplicas() throws TimeoutException, InterruptedException {
    String prefix = cluster.getMetadata().getName() + "-";
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

  /**
   * Pings {@code host}'s pgBackRest TLS server from {@code member}'s container ({@code pgbackrest
   * server-ping}: an aliveness check, no authentication) every 2 s until it answers or {@link
   * #SERVER_WAIT} passed.
   *
   * @return the last ping's result
   */
  private PodCommand.Result awaitServer(String member, String host)
      throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + SERVER_WAIT.toNanos();
    while (true) {
      PodCommand.Result ping =
          PodCommand.run(
              client,
              namespace,
              member,
              ClusterStatefulSet.CONTAINER,
              SHORT,
              "pgbackrest",
              "server-ping",
              host,
              "--tls-server-port=" + PgBackRestServer.PORT);
      if (ping.ok() || System.nanoTime() > deadline) {
        return ping;
      }
      Thread.sleep(2_000);
    }
  }

  private PodCommand.Result pgbackrest(Duration timeout, String... args)
      throws TimeoutException, InterruptedException {
    return pgbackrestIn(pod, timeout, args);
  }

  private PodCommand.Result pgbackrestIn(String target, Duration timeout, String... args)
      throws TimeoutException, InterruptedException {
    List<String> command = new ArrayList<>(PgBackRest.RUN_WITH_PASSWORD);
    command.add("--stanza=" + PgBackRest.STANZA);
    command.addAll(List.of(args));
    return PodCommand.run(
        client,
        namespace,
        target,
        ClusterStatefulSet.CONTAINER,
        timeout,
        command.toArray(String[]::new));
  }

  private static Outcome failed(String message) {
    return Outcome.failure(message);
  }
}
