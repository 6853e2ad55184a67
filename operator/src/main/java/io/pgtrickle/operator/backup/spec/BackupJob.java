package io.pgtrickle.operator.backup.spec;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpecBuilder;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.BackupNames;
import io.pgtrickle.operator.backup.BackupPolicy;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.postgres.spec.PatroniConfig;
import io.pgtrickle.operator.spec.RestrictedSecurity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes objects that take a PostgresBackup's backups: a {@code batch/v1} Job for a one-off
 * backup and for each trigger, and for a schedule a CronJob whose job template is the same Job. The
 * Job's one pod runs {@code pgbackrest stanza-create} (idempotent) and {@code pgbackrest backup} in
 * the cluster's PostgreSQL image ({@link BackupScript}, which first waits a bounded time for the
 * members' TLS servers); the repository is local to the pod (the members' configuration file,
 * object store secrets as {@code secretKeyRef}s, the repository volume for {@code destination.type}
 * PVC) and the database is remote: every member serves pgBackRest over TLS ({@link
 * PgBackRestServer}), listed as {@code pg1..pgN} with the member to read first (the primary, or
 * with {@code backupFromReplica} the chosen replica followed by the primary), the others after it
 * so that pgBackRest still finds the primary after a failover. A failed pod is replaced {@value
 * #BACKOFF_LIMIT} times ({@code backoffLimit}), finished Jobs go after {@code
 * ttlSecondsAfterFinished}. Pure: no client calls.
 */
public final class BackupJob {

  public static final String CONTAINER = "pgbackrest";

  /** Retries of a failed backup (seed 002 Ticket 3: "a failed backup retried 3 times"). */
  public static final int BACKOFF_LIMIT = 3;

  /** The longest a backup Job may run, seconds (6 h). */
  public static final long DEADLINE_SECONDS = 6 * 3600L;

  /** Annotation of a Job (and a CronJob's job template): the backup type it takes. */
  public static final String TYPE_ANNOTATION = "postgres.example.com/backup-type";

  /** Annotation of a Job (and a CronJob's job template): the member it reads first. */
  public static final String MEMBER_ANNOTATION = "postgres.example.com/backup-member";

  /**
   * What one backup Job does.
   *
   * @param type {@code full} or {@code incr}
   * @param keepForever whether the backup is annotated to survive retention
   * @param members the members' pod names, the one whose files are read first; with {@code
   *     fromReplica} the second is the primary
   * @param fromReplica whether the backup reads a standby's files ({@code backup-standby=y})
   */
  public record Plan(String type, boolean keepForever, List<String> members, boolean fromReplica) {

    public Plan {
      if (!"full".equals(type) && !"incr".equals(type)) {
        throw new IllegalArgumentException("backup type must be full or incr: " + type);
      }
      if (members.isEmpty()) {
        throw new IllegalArgumentException("a backup needs at least one member");
      }
      members = List.copyOf(members);
    }
  }

  private BackupJob() {}

  /**
   * The order in which a backup lists the members: {@code source} first (the primary, or the
   * replica to read), then the primary, then the other members {@code NAME-0..NAME-(replicas-1)}.
   */
  public static List<String> members(PostgresCluster cluster, String source, String primary) {
    List<String> members = new ArrayList<>(List.of(source));
    if (!members.contains(primary)) {
      members.add(primary);
    }
    int replicas = cluster.getSpec().getReplicas() == null ? 1 : cluster.getSpec().getReplicas();
    for (int i = 0; i < replicas; i++) {
      String pod = ClusterNames.pod(cluster, i);
      if (!members.contains(pod)) {
        members.add(pod);
      }
    }
    return members;
  }

  /** The Job {@code name}, owned by the PostgresBackup. */
  public static Job job(
      PostgresBackup backup,
      PostgresCluster cluster,
      String image,
      String name,
      Plan plan,
      long ttl) {
    return new JobBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(backup.getMetadata().getNamespace())
        .withLabels(labels(backup, cluster, "trigger"))
        .withAnnotations(annotations(plan))
        .withOwnerReferences(owner(backup))
        .endMetadata()
        .withSpec(spec(backup, cluster, image, plan, ttl))
        .build();
  }

  /**
   * The CronJob of a scheduled PostgresBackup: {@code schedule} in UTC, never two at once ({@code
   * Forbid}: pgBackRest holds one backup lock per stanza), the last successful and the last failed
   * Job kept for {@code kubectl logs}, a run missed by more than 10 minutes skipped.
   */
  public static CronJob cronJob(
      PostgresBackup backup,
      PostgresCluster cluster,
      String image,
      String schedule,
      Plan plan,
      long ttl) {
    return new CronJobBuilder()
        .withNewMetadata()
        .withName(BackupNames.cronJob(backup.getMetadata().getName()))
        .withNamespace(backup.getMetadata().getNamespace())
        .withLabels(labels(backup, cluster, "schedule"))
        .withOwnerReferences(owner(backup))
        .endMetadata()
        .withNewSpec()
        .withSchedule(schedule.trim())
        .withTimeZone("UTC")
        .withConcurrencyPolicy("Forbid")
        .withStartingDeadlineSeconds(600L)
        .withSuccessfulJobsHistoryLimit(1)
        .withFailedJobsHistoryLimit(1)
        .withNewJobTemplate()
        .withNewMetadata()
        .withLabels(labels(backup, cluster, "schedule"))
        .withAnnotations(annotations(plan))
        .endMetadata()
        .withSpec(spec(backup, cluster, image, plan, ttl))
        .endJobTemplate()
        .endSpec()
        .build();
  }

  /**
   * {@code existing} (a CronJob as read from the API server) with {@code spec.suspend: true}, to be
   * applied by the field manager that applies {@link #cronJob}: the whole object as it is, without
   * what the server owns (status, resource version, managed fields), so the manager keeps every
   * field it had. Applying {@link #cronJob} again (it leaves {@code suspend} out) resumes it.
   */
  public static CronJob suspended(CronJob existing) {
    return new CronJobBuilder(existing)
        .editMetadata()
        .withManagedFields((List<io.fabric8.kubernetes.api.model.ManagedFieldsEntry>) null)
        .withResourceVersion(null)
        .withUid(null)
        .withCreationTimestamp(null)
        .withGeneration(null)
        .endMetadata()
        .editSpec()
        .withSuspend(true)
        .endSpec()
        .withStatus(null)
        .build();
  }

  /** Whether a CronJob is suspended. */
  public static boolean isSuspended(CronJob cronJob) {
    return cronJob.getSpec() != null && Boolean.TRUE.equals(cronJob.getSpec().getSuspend());
  }

  /** The type a CronJob's next Job takes (its job template's annotation), or null. */
  public static String type(CronJob cronJob) {
    if (cronJob == null
        || cronJob.getSpec() == null
        || cronJob.getSpec().getJobTemplate().getMetadata() == null
        || cronJob.getSpec().getJobTemplate().getMetadata().getAnnotations() == null) {
      return null;
    }
    return cronJob.getSpec().getJobTemplate().getMetadata().getAnnotations().get(TYPE_ANNOTATION);
  }

  /** The pgbackrest backup arguments of a plan (after {@code backup}). */
  static List<String> args(String owner, Plan plan) {
    List<String> args = new ArrayList<>();
    args.add("--type=" + plan.type());
    args.add("--annotation=" + BackupPolicy.OWNER_ANNOTATION + "=" + owner);
    if (plan.keepForever()) {
      args.add("--annotation=" + BackupPolicy.KEEP_ANNOTATION + "=true");
    }
    if (plan.fromReplica()) {
      args.add("--backup-standby=y");
    }
    return args;
  }

  /**
   * The members as pgBackRest's {@code pgN-*} options in the environment ({@code
   * PGBACKREST_PG1_HOST}, ...): each reached through its TLS server with the cluster's client
   * certificate.
   */
  static List<EnvVar> memberEnv(PostgresCluster cluster, List<String> members) {
    List<EnvVar> env = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      String pg = "PGBACKREST_PG" + (i + 1) + "_";
      Map<String, String> o = new LinkedHashMap<>();
      o.put("HOST", PgBackRestServer.host(cluster, members.get(i)));
      o.put("HOST_TYPE", "tls");
      o.put("HOST_PORT", String.valueOf(PgBackRestServer.PORT));
      o.put("HOST_CA_FILE", PgBackRestServer.TLS_DIR + "/" + PgBackRestServer.CA);
      o.put("HOST_CERT_FILE", PgBackRestServer.TLS_DIR + "/" + PgBackRestServer.CERT);
      o.put("HOST_KEY_FILE", PgBackRestServer.TLS_DIR + "/" + PgBackRestServer.KEY);
      o.put("PATH", PatroniConfig.DATA_DIR);
      o.put("SOCKET_PATH", PgBackRest.SOCKET_DIR);
      o.put("PORT", "5432");
      o.forEach((k, v) -> env.add(new EnvVarBuilder().withName(pg + k).withValue(v).build()));
      if (i > 0) {
        // pg1's user comes with the repository's environment (PgBackRest.env).
        env.add(
            PgBackRest.secret(
                pg + "USER", ClusterNames.credentialsSecret(cluster), ClusterSecrets.USERNAME));
      }
    }
    return env;
  }

  private static JobSpec spec(
      PostgresBackup backup, PostgresCluster cluster, String image, Plan plan, long ttl) {
    return new JobSpecBuilder()
        .withBackoffLimit(BACKOFF_LIMIT)
        .withTtlSecondsAfterFinished((int) ttl)
        .withActiveDeadlineSeconds(DEADLINE_SECONDS)
        .withTemplate(pod(backup, cluster, image, plan))
        .build();
  }

  private static PodTemplateSpec pod(
      PostgresBackup backup, PostgresCluster cluster, String image, Plan plan) {
    List<Volume> volumes = new ArrayList<>(PgBackRest.volumes(cluster));
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    return new PodTemplateSpecBuilder()
        .withNewMetadata()
        .withLabels(podLabels(backup))
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withSecurityContext(RestrictedSecurity.pod(ClusterStatefulSet.POSTGRES_UID))
        .withContainers(container(backup, cluster, image, plan))
        .withVolumes(volumes)
        .endSpec()
        .build();
  }

  private static Container container(
      PostgresBackup backup, PostgresCluster cluster, String image, Plan plan) {
    List<EnvVar> env = new ArrayList<>(memberEnv(cluster, plan.members()));
    List<String> servers =
        plan.members().subList(0, Math.min(plan.members().size(), plan.fromReplica() ? 2 : 1));
    env.add(
        new EnvVarBuilder()
            .withName(BackupScript.SERVERS_ENV)
            .withValue(
                String.join(
                    " ", servers.stream().map(m -> PgBackRestServer.host(cluster, m)).toList()))
            .build());
    env.addAll(PgBackRest.env(cluster));
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(image)
        .withImagePullPolicy("IfNotPresent")
        .withCommand("sh", "-c", BackupScript.TEXT, "pgbackrest-backup")
        .withArgs(args(backup.getMetadata().getName(), plan))
        .withEnv(env)
        // A failed backup's last log lines become its termination message: the reason the
        // PostgresBackup's condition gives.
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withNewResources()
        .addToRequests("cpu", new Quantity("100m"))
        .addToRequests("memory", new Quantity("64Mi"))
        .addToLimits("memory", new Quantity("512Mi"))
        .endResources()
        .withSecurityContext(RestrictedSecurity.container())
        .withVolumeMounts(PgBackRest.volumeMounts(cluster))
        .addToVolumeMounts(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build())
        .build();
  }

  /** The Job's and CronJob's labels: the cluster's, the PostgresBackup's name, the kind of Job. */
  private static Map<String, String> labels(
      PostgresBackup backup, PostgresCluster cluster, String kind) {
    Map<String, String> labels = new LinkedHashMap<>(ClusterNames.labels(cluster, "backup"));
    labels.put(BackupNames.BACKUP_LABEL, backup.getMetadata().getName());
    labels.put(BackupNames.JOB_KIND_LABEL, kind);
    return labels;
  }

  /**
   * The pods' labels: not the cluster's managed-by and cluster labels, which select its members
   * (the cluster reconciler's pod informer would count a backup pod as one).
   */
  public static Map<String, String> podLabels(PostgresBackup backup) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(ClusterNames.COMPONENT_LABEL, "backup");
    labels.put(BackupNames.BACKUP_LABEL, backup.getMetadata().getName());
    return labels;
  }

  private static Map<String, String> annotations(Plan plan) {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(TYPE_ANNOTATION, plan.type());
    annotations.put(MEMBER_ANNOTATION, plan.members().get(0));
    return annotations;
  }

  private static io.fabric8.kubernetes.api.model.OwnerReference owner(PostgresBackup backup) {
    return new OwnerReferenceBuilder()
        .withApiVersion(backup.getApiVersion())
        .withKind(backup.getKind())
        .withName(backup.getMetadata().getName())
        .withUid(backup.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }
}
