package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.BackupJob;
import io.pgtrickle.operator.status.Conditions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a {@link PostgresBackup}: its backups run as Kubernetes Jobs ({@link BackupJob}) — a
 * Job for a resource without a schedule (once) and for each trigger annotation (then removed, so it
 * can be set again), a CronJob for a schedule — which retry a failed backup {@value
 * BackupJob#BACKOFF_LIMIT} times and are cleaned up after {@code ttlSecondsAfterFinished}. The
 * reconciler applies them and reports: it watches the Jobs, and when one finished it applies
 * retention ({@link BackupPolicy}, after a success) and writes the outcome and the repository's
 * figures into status; a Job that failed for good gives the condition {@value #CONDITION} False
 * with the last pod's exit code and log lines. First backup full, later ones incremental: the type
 * is decided when a Job (or the CronJob's template) is made, from {@code pgbackrest info}.
 */
// Not generation-aware: the trigger annotation changes metadata only, and must wake the reconciler.
@ControllerConfiguration(
    name = PostgresBackupReconciler.NAME,
    generationAwareEventProcessing = false)
public class PostgresBackupReconciler implements Reconciler<PostgresBackup> {

  public static final String NAME = "postgresbackup";

  static final String CONDITION = "LastBackupSucceeded";
  static final String JOBS_EVENT_SOURCE = "backup-jobs";
  private static final Logger LOG = LoggerFactory.getLogger(PostgresBackupReconciler.class);
  private static final Duration WHILE_PENDING = Duration.ofSeconds(10);

  /** When to look again after a status write found the resource changed since it was read. */
  private static final Duration STALE_RETRY = Duration.ofSeconds(1);

  /** How often a scheduled resource looks at its cluster again (the primary may have moved). */
  private static final Duration RECHECK = Duration.ofSeconds(30);

  private final Clock clock;
  private final long jobTtlSeconds;

  /**
   * @param clock the time source (retention ages, status times)
   * @param jobTtlSeconds {@code ttlSecondsAfterFinished} of the backup Jobs, seconds ({@code
   *     PG_TRICKLE_BACKUP_JOB_TTL_SECONDS}, checked by {@link
   *     io.pgtrickle.operator.runtime.OperatorConfig})
   */
  public PostgresBackupReconciler(Clock clock, long jobTtlSeconds) {
    this.clock = clock;
    this.jobTtlSeconds = jobTtlSeconds;
  }

  @Override
  public List<EventSource<?, PostgresBackup>> prepareEventSources(
      EventSourceContext<PostgresBackup> context) {
    var jobs =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Job.class, PostgresBackup.class)
                .withName(JOBS_EVENT_SOURCE)
                .withLabelSelector(BackupNames.BACKUP_LABEL)
                .withSecondaryToPrimaryMapper(
                    job ->
                        BackupJobs.owner(job) == null
                            ? Set.of()
                            : Set.of(
                                new ResourceID(
                                    BackupJobs.owner(job), job.getMetadata().getNamespace())))
                .build(),
            context);
    return List.of(jobs);
  }

  @Override
  public UpdateControl<PostgresBackup> reconcile(
      PostgresBackup backup, Context<PostgresBackup> context) throws Exception {
    var client = context.getClient();
    Instant now = clock.instant();
    String name = backup.getMetadata().getName();
    String namespace = backup.getMetadata().getNamespace();
    // The version this reconcile read: its writes are conditional on it (BackupStatusWrites).
    String version = backup.getMetadata().getResourceVersion();
    PostgresBackupStatus previous =
        backup.getStatus() == null ? new PostgresBackupStatus() : backup.getStatus();
    PostgresBackupStatus status = client.getKubernetesSerialization().clone(previous);
    long generation = backup.getMetadata().getGeneration();
    status.setObservedGeneration(generation);

    BackupSchedule schedule = null;
    if (backup.getSpec().getSchedule() != null) {
      try {
        schedule = BackupSchedule.parse(backup.getSpec().getSchedule());
      } catch (IllegalArgumentException e) {
        status.setPhase(BackupPhase.Failed);
        status.setMessage(e.getMessage());
        return done(context, backup, version, previous, status, null);
      }
    }
    if (schedule == null) {
      status.setNextScheduled(null);
      if (BackupJobs.cronJob(client, namespace, BackupNames.cronJob(name)) != null) {
        BackupJobs.deleteCronJob(client, namespace, BackupNames.cronJob(name));
      }
    }

    // The Jobs: report the newest finished one not reported yet.
    List<Job> jobs = BackupJobs.oldestFirst(jobs(context, backup, status));
    Job active = jobs.stream().filter(j -> !finished(j)).reduce((a, b) -> b).orElse(null);
    Job newest =
        jobs.stream().filter(PostgresBackupReconciler::finished).reduce((a, b) -> b).orElse(null);
    PostgresCluster cluster = cluster(client, backup);
    String primary =
        cluster == null || cluster.getStatus() == null ? null : cluster.getStatus().getPrimaryPod();
    BackupOutcomes outcomes = new BackupOutcomes(client, backup, cluster, primary, clock);
    boolean reported = false;
    if (newest != null && !newest.getMetadata().getName().equals(status.getLastJob())) {
      JobOutcome outcome = JobOutcome.of(newest, BackupJobs.pods(client, newest));
      outcomes.report(newest, outcome, status, generation, now);
      status.setPhase(
          schedule != null
              ? BackupPhase.Scheduled
              : outcome.state() == JobOutcome.State.SUCCEEDED
                  ? BackupPhase.Succeeded
                  : BackupPhase.Failed);
      reported = true;
    }

    // What the backups need: the cluster, its repository, its primary.
    String waiting = outcomes.waiting();
    String trigger = annotation(backup, PostgresBackup.TRIGGER_ANNOTATION);
    boolean keep = "true".equals(annotation(backup, PostgresBackup.KEEP_FOREVER_ANNOTATION));
    int sequence = status.getJobSequence() == null ? 0 : status.getJobSequence();
    boolean oneOffDue =
        schedule == null
            && sequence == 0
            && status.getLastBackupName() == null
            && status.getPhase() != BackupPhase.Failed
            && status.getPhase() != BackupPhase.Succeeded;
    boolean due = trigger != null || oneOffDue;
    if (schedule != null) {
      Instant next =
          status.getNextScheduled() == null ? null : Instant.parse(status.getNextScheduled());
      if (next == null
          || !now.isBefore(next)
          || !Objects.equals(previous.getObservedGeneration(), generation)) {
        status.setNextScheduled(schedule.next(now).map(Instant::toString).orElse(null));
      }
    }
    BackupTarget target = BackupTarget.of(backup.getSpec().getClusterName(), cluster);
    status.setConditions(
        Conditions.with(
            status.getConditions(),
            BackupTarget.CONDITION,
            target.configured(),
            target.reason(),
            target.message(),
            generation,
            now));
    if (waiting != null) {
      status.setPhase(BackupPhase.Pending);
      status.setMessage(waiting + (due ? "; the due backup waits for it" : ""));
      if (!target.configured() && schedule != null) {
        // Each of the CronJob's Jobs would fail; it resumes when the cluster has spec.backup again
        // (the schedule below applies it without suspend). A missing primary is a passing state
        // the Jobs wait out: the CronJob keeps running then.
        String cronName = BackupNames.cronJob(name);
        CronJob existing = BackupJobs.cronJob(client, namespace, cronName);
        if (existing != null && !BackupJob.isSuspended(existing)) {
          BackupJobs.apply(client, BackupJob.suspended(existing));
          LOG.info("CronJob {}/{} suspended: {}", namespace, cronName, target.message());
        }
        status.setMessage(
            status.getMessage()
                + (existing == null
                    ? "; the schedule starts then"
                    : "; CronJob " + cronName + " is suspended until then"));
        // No backup runs at the next time: NEXT SCHEDULED is empty until the schedule resumes.
        status.setNextScheduled(null);
      }
      return done(context, backup, version, previous, status, WHILE_PENDING);
    }

    String image = io.pgtrickle.operator.postgres.spec.PostgresImages.forCluster(cluster);
    if (schedule != null) {
      String cronName = BackupNames.cronJob(name);
      CronJob existing = BackupJobs.cronJob(client, namespace, cronName);
      BackupJob.Plan plan = outcomes.planFor(true, existing, reported, false);
      outcomes.recordRepository(status, generation, now);
      if (plan == null) {
        status.setPhase(BackupPhase.Pending);
        status.setMessage(outcomes.planProblem());
        return done(context, backup, version, previous, status, WHILE_PENDING);
      } else {
        CronJob desired =
            BackupJob.cronJob(
                backup, cluster, image, backup.getSpec().getSchedule(), plan, jobTtlSeconds);
        try {
          BackupJobs.apply(client, desired);
        } catch (KubernetesClientException e) {
          if (e.getCode() != 422) {
            throw e;
          }
          // The API server's CronJob validation is the last word on a schedule.
          status.setPhase(BackupPhase.Failed);
          status.setMessage(
              "spec.schedule \""
                  + backup.getSpec().getSchedule()
                  + "\" is refused for the CronJob "
                  + cronName
                  + ": "
                  + (e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage()));
          return done(context, backup, version, previous, status, null);
        }
      }
    }
    if (due && active != null) {
      status.setPhase(BackupPhase.Running);
      status.setMessage(
          "backup Job "
              + active.getMetadata().getName()
              + " is running; the requested backup starts after it");
      return done(context, backup, version, previous, status, null);
    }
    if (due) {
      BackupJob.Plan plan = outcomes.planFor(false, null, true, keep);
      outcomes.recordRepository(status, generation, now);
      if (plan == null) {
        status.setPhase(BackupPhase.Pending);
        status.setMessage(outcomes.planProblem() + "; the due backup waits for it");
        status.setConditions(
            Conditions.with(
                status.getConditions(),
                CONDITION,
                false,
                BackupOutcomes.NO_STREAMING_REPLICA,
                outcomes.planProblem(),
                generation,
                now));
        return done(context, backup, version, previous, status, WHILE_PENDING);
      }
      java.util.Set<String> taken = new java.util.HashSet<>();
      if (status.getLastJob() != null) {
        taken.add(status.getLastJob());
      }
      jobs.stream()
          .filter(PostgresBackupReconciler::finished)
          .forEach(j -> taken.add(j.getMetadata().getName()));
      int next = nextSequence(name, sequence, taken);
      String jobName = BackupNames.job(name, next);
      Job created =
          BackupJobs.create(
              client, BackupJob.job(backup, cluster, image, jobName, plan, jobTtlSeconds));
      if (created != null) {
        // Seen by the next reconcile even before the informer has it (else: no Job running).
        jobSource(context).handleRecentResourceCreate(ResourceID.fromResource(backup), created);
      }
      status.setJobSequence(next);
      if (trigger != null) {
        String removed = BackupStatusWrites.removeTrigger(client, backup, version);
        version = removed == null ? version : removed;
      }
      LOG.info(
          "backup Job {}/{} ({}) {} for PostgresCluster {}",
          namespace,
          jobName,
          plan.type(),
          created != null ? "created" : "exists already, taken as this trigger's",
          cluster.getMetadata().getName());
      status.setPhase(BackupPhase.Running);
      status.setMessage(
          "backup Job " + jobName + " (" + plan.type() + ") of " + plan.members().get(0));
      return done(context, backup, version, previous, status, null);
    }
    if (active != null) {
      status.setPhase(BackupPhase.Running);
      boolean retried =
          active.getStatus() != null
              && active.getStatus().getFailed() != null
              && active.getStatus().getFailed() > 0;
      status.setMessage(
          JobOutcome.of(active, retried ? BackupJobs.pods(client, active) : List.of()).message());
    } else if (status.getPhase() == null
        || status.getPhase() == BackupPhase.Pending
        || status.getPhase() == BackupPhase.Running) {
      if (status.getPhase() == BackupPhase.Pending) {
        status.setMessage(null); // what it waited for is there now
      }
      status.setPhase(schedule == null ? BackupPhase.Succeeded : BackupPhase.Scheduled);
    }
    if (schedule != null && status.getMessage() == null) {
      status.setMessage("next backup at " + status.getNextScheduled());
    }
    return done(context, backup, version, previous, status, schedule == null ? null : RECHECK);
  }

  private static boolean finished(Job job) {
    return JobOutcome.of(job, List.of()).finished();
  }

  /**
   * The next Job's sequence number: after {@code sequence}, and never the name of a Job that
   * finished already or was reported last ({@code taken}: such a Job cannot be a new trigger's; a
   * counter behind the Jobs, from a status written from an older copy, is thus never fatal).
   */
  static int nextSequence(String name, int sequence, java.util.Set<String> taken) {
    int next = sequence + 1;
    while (taken.contains(BackupNames.job(name, next))) {
      next++;
    }
    return next;
  }

  @SuppressWarnings("unchecked")
  private static InformerEventSource<Job, PostgresBackup> jobSource(
      Context<PostgresBackup> context) {
    return (InformerEventSource<Job, PostgresBackup>)
        context.eventSourceRetriever().getEventSourceFor(Job.class, JOBS_EVENT_SOURCE);
  }

  /**
   * The PostgresBackup's Jobs in the informer's cache, and the Job it created last when the cache
   * does not list it yet (JOSDK keeps a created Job until its informer sees it).
   */
  private static List<Job> jobs(
      Context<PostgresBackup> context, PostgresBackup backup, PostgresBackupStatus status) {
    var source = jobSource(context);
    String namespace = backup.getMetadata().getNamespace();
    List<Job> jobs =
        new ArrayList<>(source.list(namespace, j -> BackupJobs.ownedBy(j, backup)).toList());
    if (status.getJobSequence() != null && status.getJobSequence() > 0) {
      String last = BackupNames.job(backup.getMetadata().getName(), status.getJobSequence());
      if (!last.equals(status.getLastJob())
          && jobs.stream().noneMatch(j -> last.equals(j.getMetadata().getName()))) {
        source
            .get(new ResourceID(last, namespace))
            .filter(j -> BackupJobs.ownedBy(j, backup))
            .ifPresent(jobs::add);
      }
    }
    return jobs;
  }

  private static PostgresCluster cluster(
      io.fabric8.kubernetes.client.KubernetesClient client, PostgresBackup backup) {
    return client
        .resources(PostgresCluster.class)
        .inNamespace(backup.getMetadata().getNamespace())
        .withName(backup.getSpec().getClusterName())
        .get();
  }

  private static String annotation(PostgresBackup backup, String key) {
    Map<String, String> annotations = backup.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  /**
   * Writes {@code status} when it changed, on the condition that the PostgresBackup is still at
   * {@code version}; when it is not, nothing is written and the reconcile runs again shortly (the
   * newer copy's event comes too).
   */
  private static UpdateControl<PostgresBackup> done(
      Context<PostgresBackup> context,
      PostgresBackup backup,
      String version,
      PostgresBackupStatus previous,
      PostgresBackupStatus status,
      Duration reschedule) {
    UpdateControl<PostgresBackup> control = UpdateControl.noUpdate();
    if (!status.equals(previous)
        && !BackupStatusWrites.status(
            context.getClient(),
            backup,
            version,
            status,
            context.getControllerConfiguration().fieldManager())) {
      return control.rescheduleAfter(STALE_RETRY);
    }
    if (reschedule != null) {
      control.rescheduleAfter(reschedule.isNegative() ? Duration.ZERO : reschedule);
    }
    return control;
  }
}
