package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.RetentionSpec;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.backup.spec.BackupJob;
import io.pgtrickle.operator.backup.spec.ObjectStore;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.backup.spec.PgBackRestServer;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.status.Conditions;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile's view of a PostgresBackup's cluster and repository: what its backups wait for,
 * what the next backup Job takes (type and members, {@link BackupJob.Plan}), and what a finished
 * Job did (retention after a success, the repository's figures, the condition). Reads the
 * repository at most once per reconcile ({@link RepositoryCommands} in the primary).
 */
final class BackupOutcomes {

  /** The condition reason when a backup from a replica finds no streaming replica. */
  static final String NO_STREAMING_REPLICA = "NoStreamingReplica";

  /**
   * The condition whether the repository could be read ({@code pgbackrest info}) when a finished
   * Job was reported: True "RepositoryRead", or False {@value #REPOSITORY_UNREACHABLE} (pgBackRest
   * could not connect, or the exec did not end within {@link RepositoryCommands#INFO}), {@value
   * #BUCKET_MISSING} (the store says the bucket does not exist), {@value
   * RepositoryEncryption#MISMATCH} (the repository's encryption is not spec.backup.encryption's,
   * {@link RepositoryEncryption}) or "RepositoryUnreadable" (any other failure), the message naming
   * the repository.
   */
  static final String REPOSITORY_CONDITION = "RepositoryReadable";

  /** The reason of {@value #REPOSITORY_CONDITION} False when the repository did not answer. */
  static final String REPOSITORY_UNREACHABLE = "RepositoryUnreachable";

  /**
   * The reason of {@value #REPOSITORY_CONDITION} False when the store answered that the bucket (or
   * Azure container) does not exist ({@link
   * io.pgtrickle.operator.backup.pgbackrest.StoreErrors#bucketMissing}); before 2026-12-07 it read
   * {@value #REPOSITORY_UNREACHABLE}, with the request's and response's 20-line dump.
   */
  static final String BUCKET_MISSING = "RepositoryBucketMissing";

  private static final Logger LOG = LoggerFactory.getLogger(BackupOutcomes.class);

  private final KubernetesClient client;
  private final PostgresBackup backup;
  private final PostgresCluster cluster;
  private final String primary;
  private final Clock clock;
  private List<RepositoryBackup> repository;
  private String repositoryInfo;
  private String repositoryProblem;
  private boolean repositoryUnreachable;
  private boolean repositoryMismatch;
  private boolean repositoryBucketMissing;
  private String planProblem;

  BackupOutcomes(
      KubernetesClient client,
      PostgresBackup backup,
      PostgresCluster cluster,
      String primary,
      Clock clock) {
    this.client = client;
    this.backup = backup;
    this.cluster = cluster;
    this.primary = primary;
    this.clock = clock;
  }

  /** What the backups wait for (the cluster, its repository, its primary), or null. */
  String waiting() {
    String clusterName = backup.getSpec().getClusterName();
    BackupTarget target = BackupTarget.of(clusterName, cluster);
    if (!target.configured()) {
      return target.message();
    }
    if (primary == null) {
      return "waiting for a primary in PostgresCluster " + clusterName;
    }
    return null;
  }

  /** Why {@link #planFor} gave no plan. */
  String planProblem() {
    return planProblem;
  }

  /**
   * The plan of the next backup: for a CronJob whose template still fits the cluster's roles and
   * nothing was reported ({@code fresh} false), the template's own; otherwise a new one, its type
   * from the repository. Null (see {@link #planProblem}) when a backup from a replica has no
   * streaming replica to read.
   *
   * @param schedule whether the plan is a CronJob's (else a one-off or triggered Job's)
   * @param existing the CronJob as it is, or null
   * @param fresh whether to decide the type anew
   * @param keepForever whether the backup is kept forever (always full)
   */
  BackupJob.Plan planFor(boolean schedule, CronJob existing, boolean fresh, boolean keepForever)
      throws InterruptedException {
    boolean fromReplica = PgBackRestServer.fromReplica(cluster);
    String type = BackupJob.type(existing);
    String member = BackupMember.plannedByTemplate(existing);
    boolean fits =
        member != null && (fromReplica ? !member.equals(primary) : member.equals(primary));
    if (existing != null && !fresh && type != null && fits) {
      return new BackupJob.Plan(
          type, false, BackupJob.members(cluster, member, primary), fromReplica);
    }
    String source = primary;
    if (fromReplica) {
      List<String> replicas = streamingReplicas();
      if (replicas.isEmpty()) {
        planProblem =
            "spec.backup.backupFromReplica: PostgresCluster "
                + cluster.getMetadata().getName()
                + " has no streaming replica to back up (pg_stat_replication on "
                + primary
                + " lists none)";
        if (!schedule) {
          return null;
        }
        // A schedule keeps its CronJob: pgBackRest looks for a standby among every member.
        List<String> members = BackupJob.members(cluster, primary, primary);
        replicas = members.subList(1, members.size());
        if (replicas.isEmpty()) {
          return null;
        }
      }
      source = replicas.get(0);
    }
    String nextType = nextType(keepForever);
    return new BackupJob.Plan(
        nextType, keepForever, BackupJob.members(cluster, source, primary), fromReplica);
  }

  /**
   * Reports a finished Job in {@code status}: after a success, retention and the repository's
   * figures; after a failure, the reason ({@link BackupFailure}: the Job's, or the repository's
   * stanza being another database's). Sets {@code lastJob}, the condition and the message, and
   * emits an Event.
   */
  void report(
      Job job, JobOutcome outcome, PostgresBackupStatus status, long generation, Instant now)
      throws InterruptedException {
    status.setLastJob(job.getMetadata().getName());
    String owner = backup.getMetadata().getName();
    if (outcome.state() != JobOutcome.State.SUCCEEDED) {
      repository();
      BackupFailure.Failure failure =
          BackupFailure.of(
              outcome,
              repositoryInfo,
              repositoryInfo == null ? null : systemIdentifier(),
              repositoryName());
      status.setMessage(failure.message());
      status.setConditions(
          Conditions.with(
              status.getConditions(),
              PostgresBackupReconciler.CONDITION,
              false,
              failure.reason(),
              failure.message(),
              generation,
              now));
      EventRecorder.warning(client, backup, BackupFailure.FAILED, failure.message());
      refreshFigures(status, generation, now);
      return;
    }
    StringBuilder message = new StringBuilder();
    List<RepositoryBackup> before = repository();
    if (before != null) {
      List<String> expired =
          BackupPolicy.expire(
              before,
              owner,
              RetentionSpec.count(backup.getSpec().getRetention()),
              RetentionSpec.days(backup.getSpec().getRetention()),
              now);
      String problem = expire(expired);
      repository = null;
      repositoryInfo = null;
      if (!expired.isEmpty()) {
        message.append("; retention removed ").append(String.join(", ", expired));
      }
      if (problem != null) {
        message.append("; ").append(problem);
      }
    }
    refreshFigures(status, generation, now);
    boolean fromReplica = PgBackRestServer.fromReplica(cluster);
    String planned = BackupMember.plannedBy(job);
    String member =
        BackupMember.of(
                planned,
                fromReplica,
                BackupMember.walStart(repository, status.getLastBackupName()),
                history())
            .orElse(null);
    String source = fromReplica ? "replica" : "primary";
    status.setLastBackupMember(member);
    status.setLastBackupSource(source);
    String head =
        "backup "
            + status.getLastBackupName()
            + " ("
            + status.getLastBackupType()
            + ") of "
            + (member != null
                ? source + " " + member
                : "a replica other than " + planned + " (the primary by then)")
            + " completed (Job "
            + job.getMetadata().getName()
            + ")";
    status.setMessage(head + message);
    status.setConditions(
        Conditions.with(
            status.getConditions(),
            PostgresBackupReconciler.CONDITION,
            true,
            "BackupCompleted",
            head,
            generation,
            now));
    EventRecorder.normal(client, backup, "BackupCompleted", status.getMessage());
  }

  /** The figures of status from the repository, when it can be read. */
  private void refreshFigures(PostgresBackupStatus status, long generation, Instant now)
      throws InterruptedException {
    List<RepositoryBackup> backups = repository();
    if (backups != null) {
      BackupStatusFigures.apply(
          status, BackupPolicy.owned(backups, backup.getMetadata().getName()));
    } else {
      status.setMessage(status.getMessage() + "; " + repositoryProblem);
    }
    recordRepository(status, generation, now);
  }

  /**
   * Sets the condition {@value #REPOSITORY_CONDITION} when this reconcile read the repository
   * (reporting a Job, or deciding the next one's type); leaves it as it was otherwise.
   */
  void recordRepository(PostgresBackupStatus status, long generation, Instant now) {
    if (repository == null && repositoryProblem == null) {
      return;
    }
    boolean read = repository != null;
    status.setConditions(
        Conditions.with(
            status.getConditions(),
            REPOSITORY_CONDITION,
            read,
            read
                ? "RepositoryRead"
                : repositoryUnreachable
                    ? REPOSITORY_UNREACHABLE
                    : repositoryMismatch
                        ? RepositoryEncryption.MISMATCH
                        : repositoryBucketMissing ? BUCKET_MISSING : "RepositoryUnreadable",
            read ? "pgbackrest info read repository " + repositoryName() : repositoryProblem,
            generation,
            now));
  }

  private String nextType(boolean keepForever) throws InterruptedException {
    List<RepositoryBackup> backups = repository();
    if (backups == null) {
      // A full backup is always right, only larger; the Job reports what is wrong.
      LOG.warn("{}; the next backup is full", repositoryProblem);
      return "full";
    }
    return BackupPolicy.nextType(
        backups,
        backup.getMetadata().getName(),
        RetentionSpec.count(backup.getSpec().getRetention()),
        RetentionSpec.days(backup.getSpec().getRetention()),
        keepForever,
        clock.instant());
  }

  /** The repository's backups (read once), or null with {@link #repositoryProblem}. */
  private List<RepositoryBackup> repository() throws InterruptedException {
    if (repository == null && repositoryProblem == null && primary == null) {
      repositoryProblem = "the repository could not be read: the cluster has no primary";
    }
    if (repository == null && repositoryProblem == null) {
      try {
        String json = commands().infoJson();
        repository = InfoParser.backups(json, PgBackRest.STANZA);
        repositoryInfo = json;
      } catch (RepositoryCommands.Unreachable e) {
        // The repository answered with files this spec.backup cannot read: not an outage.
        java.util.Optional<String> mismatch =
            RepositoryEncryption.mismatch(
                e.getMessage(),
                cluster.getSpec().getBackup(),
                cluster.getMetadata().getName(),
                repositoryName());
        // A missing bucket answered: the store is reachable, the bucket is to be created.
        boolean bucketMissing =
            mismatch.isEmpty()
                && io.pgtrickle.operator.backup.pgbackrest.StoreErrors.bucketMissing(
                    e.getMessage());
        String error = io.pgtrickle.operator.backup.pgbackrest.StoreErrors.concise(e.getMessage());
        repositoryMismatch = mismatch.isPresent();
        repositoryBucketMissing = bucketMissing;
        repositoryUnreachable = mismatch.isEmpty() && !bucketMissing;
        repositoryProblem =
            mismatch.orElse(
                bucketMissing
                    ? "repository "
                        + repositoryName()
                        + ": the store answered that the bucket does not exist ("
                        + error
                        + "); create it (pgBackRest creates neither buckets nor containers)"
                    : "repository " + repositoryName() + " is unreachable: " + error);
      } catch (java.util.concurrent.TimeoutException e) {
        repositoryUnreachable = true;
        repositoryProblem = "repository " + repositoryName() + " is unreachable: " + e.getMessage();
      } catch (RuntimeException e) {
        repositoryProblem =
            "repository " + repositoryName() + " could not be read: " + e.getMessage();
      }
    }
    return repository;
  }

  private String expire(List<String> sets) throws InterruptedException {
    try {
      return commands().expire(sets);
    } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
      return "retention failed: " + e.getMessage();
    }
  }

  private List<String> streamingReplicas() throws InterruptedException {
    try {
      return commands().streamingReplicas(cluster.getMetadata().getName());
    } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
      LOG.warn("streaming replicas of {} unknown: {}", primary, e.toString());
      return List.of();
    }
  }

  /** The database's system identifier from Patroni's DCS ({@link BackupFailure}), or null. */
  private String systemIdentifier() {
    return BackupFailure.systemIdentifier(patroniConfig());
  }

  /** Patroni's timeline history from its DCS ({@link BackupMember}), or null. */
  private String history() {
    return BackupMember.history(patroniConfig());
  }

  /** Patroni's {@code SCOPE-config} ConfigMap (its DCS), or null when it cannot be read. */
  private io.fabric8.kubernetes.api.model.ConfigMap patroniConfig() {
    try {
      return client
          .configMaps()
          .inNamespace(cluster.getMetadata().getNamespace())
          .withName(ClusterNames.patroniScope(cluster) + "-config")
          .get();
    } catch (RuntimeException e) {
      LOG.warn("Patroni's configuration of {} unreadable: {}", primary, e.toString());
      return null;
    }
  }

  /** The repository as messages name it ({@link ObjectStore#describe}). */
  private String repositoryName() {
    if (cluster == null || cluster.getSpec().getBackup() == null) {
      return "of PostgresCluster " + backup.getSpec().getClusterName() + " (no spec.backup)";
    }
    return ObjectStore.describe(
        cluster.getSpec().getBackup().getDestination(), PgBackRest.repositoryPath(cluster));
  }

  private RepositoryCommands commands() {
    return new RepositoryCommands(client, backup.getMetadata().getNamespace(), primary);
  }
}
