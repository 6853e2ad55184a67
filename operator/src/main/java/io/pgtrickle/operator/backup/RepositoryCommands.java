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
   * The bound of {@code pgbackrest info}'s exec: it reads two small files of the repository
   * (seconds), and the reconcile that waits for it holds the PostgresBackup's status meanwhile. An
   * unreachable object store ends {@code info} after its retries, 19.0 s measured with {@link
   * #INFO_IO_TIMEOUT_SECONDS}, inside this bound.
   */
  static final Duration INFO = Duration.ofSeconds(30);

  /**
   * pgBackRest's {@code io-timeout} of {@code info}, seconds (its default: 60). {@code info} gives
   * up on an unreachable store only after its retries, each waiting up to io-timeout. Measured with
   * 2.55.1 (the pods' pgBackRest) from a pod against a frozen s3proxy over TLS ({@code
   * RepositoryOutageIT}): 19.0 s with 2 ("on 2 retries from 12601-18909ms"), 28.3 s with 3, 45.2 s
   * with the default; on the host against a port that never answers 19.1 s with 2, refused 18.8 s
   * (Debian's 2.45: 8.3 s, 240.6 s with the default). So with the default the reconcile waited up
   * to the exec's bound (60 s then) and reported an exec timeout. A store that answers sends these
   * small files' first bytes well within 2 s, and pgBackRest retries a request that waited longer.
   */
  static final int INFO_IO_TIMEOUT_SECONDS = 2;

  /**
   * pgBackRest's {@code io-timeout} of {@code expire}, seconds: longer than info's, as it deletes
   * many files. It reads more files than {@code info} before it gives up on an unreachable store,
   * 92 s with 5 against a port that never answers (2.55.1; Debian's 2.45: 40.7 s), inside {@link
   * #SHORT}; expire runs right after {@code info} read the repository, so only a store lost in
   * between takes that long.
   */
  static final int EXPIRE_IO_TIMEOUT_SECONDS = 5;

  /**
   * The repository's backups, oldest first.
   *
   * @throws IllegalStateException with pgBackRest's last lines when it cannot be read
   * @throws Unreachable when pgBackRest reports the repository itself unreachable
   * @throws TimeoutException when the exec did not end within {@link #INFO}
   */
  List<RepositoryBackup> info() throws TimeoutException, InterruptedException {
    return InfoParser.backups(infoJson(), PgBackRest.STANZA);
  }

  /**
   * {@code pgbackrest info --output=json} of a repository it could read.
   *
   * @throws IllegalStateException with pgBackRest's last lines when it failed
   * @throws Unreachable when pgBackRest reports the repository itself unreachable
   * @throws TimeoutException when the exec did not end within {@link #INFO}
   */
  String infoJson() throws TimeoutException, InterruptedException {
    PodCommand.Result info =
        pgbackrest(INFO, command(INFO_IO_TIMEOUT_SECONDS, "info", "--output=json"));
    if (!info.ok()) {
      throw new IllegalStateException("pgbackrest info failed: " + info.tail());
    }
    String unreachable = InfoParser.repositoryError(info.stdout(), PgBackRest.STANZA);
    if (unreachable != null) {
      throw new Unreachable(unreachable);
    }
    return info.stdout();
  }

  /**
   * {@code pgbackrest stanza-create} (idempotent; what each backup Job runs first), so that
   * archiving need not wait for the first backup.
   *
   * @throws IllegalStateException with pgBackRest's last lines when it failed
   * @throws TimeoutException when the exec did not end within {@link #INFO}
   */
  void stanzaCreate() throws TimeoutException, InterruptedException {
    PodCommand.Result create =
        pgbackrest(INFO, command(EXPIRE_IO_TIMEOUT_SECONDS, "stanza-create"));
    if (!create.ok()) {
      throw new IllegalStateException(create.tail());
    }
  }

  /**
   * The archive's files, {@code pgbackrest repo-ls --recurse archive/STANZA}: one path a line
   * relative to it (see {@link ArchiveCoverage#archived}).
   *
   * @throws IllegalStateException with pgBackRest's last lines when it cannot be listed
   * @throws TimeoutException when the exec did not end within {@link #INFO}
   */
  String archiveListing() throws TimeoutException, InterruptedException {
    PodCommand.Result ls =
        pgbackrest(
            INFO,
            command(
                INFO_IO_TIMEOUT_SECONDS, "repo-ls", "--recurse", "archive/" + PgBackRest.STANZA));
    if (!ls.ok()) {
      throw new IllegalStateException("pgbackrest repo-ls failed: " + ls.tail());
    }
    return ls.stdout();
  }

  /**
   * {@code pgbackrest info} found the repository unreachable (its status 99 "other" for the
   * repository, exit code 0: {@code [HostConnectError] unable to connect to 'HOST:PORT': ...}).
   */
  static final class Unreachable extends IllegalStateException {
    Unreachable(String pgbackrestMessage) {
      super(pgbackrestMessage);
    }
  }

  /**
   * The command line of one pgBackRest command in the container: {@link
   * PgBackRest#RUN_WITH_PASSWORD} then {@code --stanza=db --io-timeout=SECONDS ARGS...}. Pure.
   *
   * @param ioTimeoutSeconds pgBackRest's {@code io-timeout}, seconds
   * @param args the command and its options, e.g. {@code info --output=json}
   */
  static List<String> command(int ioTimeoutSeconds, String... args) {
    List<String> command = new ArrayList<>(PgBackRest.RUN_WITH_PASSWORD);
    command.add("--stanza=" + PgBackRest.STANZA);
    command.add("--io-timeout=" + ioTimeoutSeconds);
    command.addAll(List.of(args));
    return command;
  }

  /**
   * Removes the sets retention names ({@link BackupPolicy#expire}), then the archived WAL older
   * than the oldest full backup left.
   *
   * @return null when all went well, else what failed
   */
  String expire(List<String> sets) throws TimeoutException, InterruptedException {
    for (String set : sets) {
      PodCommand.Result expire =
          pgbackrest(SHORT, command(EXPIRE_IO_TIMEOUT_SECONDS, "expire", "--set=" + set));
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
            command(
                EXPIRE_IO_TIMEOUT_SECONDS,
                "expire",
                "--repo1-retention-archive-type=full",
                "--repo1-retention-archive=" + fulls));
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

  private PodCommand.Result pgbackrest(Duration timeout, List<String> command)
      throws TimeoutException, InterruptedException {
    return PodCommand.run(
        client,
        namespace,
        pod,
        ClusterStatefulSet.CONTAINER,
        timeout,
        command.toArray(String[]::new));
  }
}
