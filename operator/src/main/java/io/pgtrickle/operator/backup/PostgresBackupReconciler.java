package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.RetentionSpec;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.status.Conditions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a {@link PostgresBackup}: takes its backups with pgBackRest in the cluster's primary
 * pod (exec API) when they are due — once for a resource without a schedule, at each time of its
 * cron schedule (cron-utils, UTC), and whenever the trigger annotation appears (then removed, so it
 * can be set again) — retries a failed backup up to {@link #RETRIES} times, applies retention after
 * each success ({@link BackupPolicy}) and reports the repository's figures in status. Backups run
 * on a small pool, never on a reconcile thread; the reconciler looks again every few seconds while
 * one runs.
 */
// Not generation-aware: the trigger annotation changes metadata only, and must wake the reconciler.
@ControllerConfiguration(
    name = PostgresBackupReconciler.NAME,
    generationAwareEventProcessing = false)
public class PostgresBackupReconciler implements Reconciler<PostgresBackup> {

  public static final String NAME = "postgresbackup";

  /** Retries of a failed backup before the attempt counts as failed (seed 002: 3). */
  public static final int RETRIES = 3;

  static final String CONDITION = "LastBackupSucceeded";
  private static final Logger LOG = LoggerFactory.getLogger(PostgresBackupReconciler.class);
  private static final Duration WHILE_RUNNING = Duration.ofSeconds(2);
  private static final Duration WHILE_PENDING = Duration.ofSeconds(10);

  private final Clock clock;
  private final ExecutorService pool =
      Executors.newFixedThreadPool(
          2,
          r -> {
            Thread t = new Thread(r, "pgbackrest-backup");
            t.setDaemon(true);
            return t;
          });

  /** Running (or finished, not yet reported) backups by resource UID. */
  private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();

  /** A backup in flight and how many times it failed before. */
  private record Attempt(
      CompletableFuture<BackupRun.Outcome> outcome, int failures, boolean keep) {}

  public PostgresBackupReconciler() {
    this(Clock.systemUTC());
  }

  PostgresBackupReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public UpdateControl<PostgresBackup> reconcile(
      PostgresBackup backup, Context<PostgresBackup> context) {
    var client = context.getClient();
    Instant now = clock.instant();
    String uid = backup.getMetadata().getUid();
    PostgresBackupStatus previous =
        backup.getStatus() == null ? new PostgresBackupStatus() : backup.getStatus();
    PostgresBackupStatus status = client.getKubernetesSerialization().clone(previous);
    status.setObservedGeneration(backup.getMetadata().getGeneration());
    long generation = backup.getMetadata().getGeneration();
    int count = RetentionSpec.count(backup.getSpec().getRetention());
    int days = RetentionSpec.days(backup.getSpec().getRetention());

    BackupSchedule schedule = null;
    if (backup.getSpec().getSchedule() != null) {
      try {
        schedule = BackupSchedule.parse(backup.getSpec().getSchedule());
      } catch (IllegalArgumentException e) {
        status.setPhase(BackupPhase.Failed);
        status.setMessage(e.getMessage());
        return done(backup, previous, status, null);
      }
    }

    // A finished attempt: report it, retry it, or count it.
    Attempt attempt = attempts.get(uid);
    int failures = 0;
    boolean retry = false;
    if (attempt != null && !attempt.outcome().isDone()) {
      status.setPhase(BackupPhase.Running);
      return done(backup, previous, status, WHILE_RUNNING);
    }
    if (attempt != null) {
      attempts.remove(uid);
      BackupRun.Outcome outcome = attempt.outcome().getNow(null);
      if (outcome.backups() != null) {
        BackupStatusFigures.apply(
            status, BackupPolicy.owned(outcome.backups(), backup.getMetadata().getName()));
      }
      if (outcome.ok()) {
        status.setLastBackupMember(outcome.member());
        status.setLastBackupSource(outcome.source());
        status.setConditions(
            Conditions.with(
                status.getConditions(),
                CONDITION,
                true,
                "BackupCompleted",
                outcome.message(),
                generation,
                now));
        status.setMessage(
            outcome.message()
                + (outcome.expired().isEmpty()
                    ? ""
                    : "; retention removed " + String.join(", ", outcome.expired())));
        EventRecorder.normal(client, backup, "BackupCompleted", status.getMessage());
        status.setPhase(schedule == null ? BackupPhase.Succeeded : BackupPhase.Scheduled);
      } else {
        failures = attempt.failures() + 1;
        retry = failures <= RETRIES;
        String message =
            outcome.message()
                + (retry
                    ? " (attempt " + failures + " of " + (RETRIES + 1) + ", retrying)"
                    : " (gave up after " + failures + " attempts)");
        status.setMessage(message);
        status.setConditions(
            Conditions.with(
                status.getConditions(),
                CONDITION,
                false,
                outcome.reason() == null ? "BackupFailed" : outcome.reason(),
                message,
                generation,
                now));
        EventRecorder.warning(client, backup, "BackupFailed", message);
        if (!retry) {
          status.setPhase(schedule == null ? BackupPhase.Failed : BackupPhase.Scheduled);
        }
      }
    } else if (status.getPhase() == BackupPhase.Running) {
      // The operator restarted while a backup ran: its exec ended with the old process.
      failures = 1;
      retry = true;
      status.setMessage("the operator restarted during the backup; retrying");
    }

    // What the backup needs: the cluster, its repository, its primary.
    Optional<String> waiting = Optional.empty();
    PostgresCluster cluster =
        client
            .resources(PostgresCluster.class)
            .inNamespace(backup.getMetadata().getNamespace())
            .withName(backup.getSpec().getClusterName())
            .get();
    String primary = null;
    if (cluster == null) {
      waiting =
          Optional.of(
              "PostgresCluster "
                  + backup.getSpec().getClusterName()
                  + " not found (spec.clusterName)");
    } else if (cluster.getSpec().getBackup() == null) {
      waiting =
          Optional.of(
              "PostgresCluster "
                  + backup.getSpec().getClusterName()
                  + " has no spec.backup: its repository is configured there");
    } else if (cluster.getStatus() == null || cluster.getStatus().getPrimaryPod() == null) {
      waiting =
          Optional.of(
              "waiting for a primary in PostgresCluster " + cluster.getMetadata().getName());
    } else {
      primary = cluster.getStatus().getPrimaryPod();
    }

    // Is a backup due?
    String trigger = annotation(backup, PostgresBackup.TRIGGER_ANNOTATION);
    boolean keep = "true".equals(annotation(backup, PostgresBackup.KEEP_FOREVER_ANNOTATION));
    boolean oneOffDue =
        schedule == null
            && status.getLastBackupName() == null
            && status.getPhase() != BackupPhase.Failed
            && status.getPhase() != BackupPhase.Succeeded;
    Instant next =
        status.getNextScheduled() == null ? null : Instant.parse(status.getNextScheduled());
    boolean scheduledDue = schedule != null && next != null && !now.isBefore(next);
    if (schedule == null) {
      status.setNextScheduled(null);
    } else if (next == null
        || scheduledDue
        || !Objects.equals(previous.getObservedGeneration(), generation)) {
      status.setNextScheduled(schedule.next(now).map(Instant::toString).orElse(null));
    }
    boolean due = retry || trigger != null || oneOffDue || scheduledDue;

    if (waiting.isPresent()) {
      status.setPhase(BackupPhase.Pending);
      status.setMessage(waiting.get() + (due ? "; the due backup waits for it" : ""));
      if (retry) {
        attempts.put(
            uid,
            new Attempt(
                CompletableFuture.completedFuture(BackupRun.Outcome.failure(waiting.get())),
                failures - 1,
                keep));
      }
      return done(backup, previous, status, WHILE_PENDING);
    }
    if (due) {
      BackupRun run =
          new BackupRun(
              client,
              backup.getMetadata().getNamespace(),
              primary,
              backup.getMetadata().getName(),
              count,
              days,
              keep,
              cluster,
              clock);
      CompletableFuture<BackupRun.Outcome> outcome =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return run.call();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return BackupRun.Outcome.failure("interrupted");
                }
              },
              pool);
      attempts.put(uid, new Attempt(outcome, failures, keep));
      if (trigger != null) {
        removeTrigger(backup, context);
      }
      LOG.info(
          "backup of PostgresCluster {} for PostgresBackup {}/{} started on {}",
          backup.getSpec().getClusterName(),
          backup.getMetadata().getNamespace(),
          backup.getMetadata().getName(),
          primary);
      status.setPhase(BackupPhase.Running);
      status.setMessage(
          "backing up PostgresCluster " + backup.getSpec().getClusterName() + " on " + primary);
      return done(backup, previous, status, WHILE_RUNNING);
    }
    if (status.getPhase() == null
        || status.getPhase() == BackupPhase.Pending
        || status.getPhase() == BackupPhase.Running) {
      status.setPhase(schedule == null ? BackupPhase.Succeeded : BackupPhase.Scheduled);
    }
    if (schedule != null && status.getMessage() == null) {
      status.setMessage("next backup at " + status.getNextScheduled());
    }
    Duration until =
        status.getNextScheduled() == null
            ? null
            : Duration.between(now, Instant.parse(status.getNextScheduled())).plusMillis(200);
    return done(backup, previous, status, until);
  }

  private static String annotation(PostgresBackup backup, String key) {
    Map<String, String> annotations = backup.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  /** Removes the trigger, so that {@code kubectl annotate ... trigger=now} works again. */
  private static void removeTrigger(PostgresBackup backup, Context<PostgresBackup> context) {
    String key = PostgresBackup.TRIGGER_ANNOTATION.replace("~", "~0").replace("/", "~1");
    try {
      context
          .getClient()
          .resources(PostgresBackup.class)
          .inNamespace(backup.getMetadata().getNamespace())
          .withName(backup.getMetadata().getName())
          .patch(
              new io.fabric8.kubernetes.client.dsl.base.PatchContext.Builder()
                  .withPatchType(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON)
                  .build(),
              "[{\"op\":\"remove\",\"path\":\"/metadata/annotations/" + key + "\"}]");
    } catch (RuntimeException e) {
      LOG.warn(
          "could not remove the trigger annotation of {}: {}",
          backup.getMetadata().getName(),
          e.toString());
    }
  }

  private static UpdateControl<PostgresBackup> done(
      PostgresBackup backup,
      PostgresBackupStatus previous,
      PostgresBackupStatus status,
      Duration reschedule) {
    UpdateControl<PostgresBackup> control;
    if (status.equals(previous)) {
      control = UpdateControl.noUpdate();
    } else {
      PostgresBackup patch = new PostgresBackup();
      patch.setMetadata(
          new ObjectMetaBuilder()
              .withName(backup.getMetadata().getName())
              .withNamespace(backup.getMetadata().getNamespace())
              .build());
      patch.setStatus(status);
      control = UpdateControl.patchStatus(patch);
    }
    if (reschedule != null) {
      control.rescheduleAfter(reschedule.isNegative() ? Duration.ZERO : reschedule);
    }
    return control;
  }
}
