package io.pgtrickle.operator.postgres;

import static io.pgtrickle.operator.naming.DerivedName.generated;

import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.naming.DerivedName;
import io.pgtrickle.operator.naming.KubernetesLimits;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every name and label of a PostgresCluster's children, in one place (DESIGN.md §3). */
public final class ClusterNames {

  /**
   * The longest name a PostgresCluster may have: the least any of {@link #DERIVED} allows, here the
   * backup CronJobs ({@code NAME-backup-incr}, 52 characters at most). A compile-time constant
   * because the CRD's CEL rule is generated from it; ClusterNamesTest checks it against {@link
   * #DERIVED}, so a new, longer derived name fails the build until this is lowered.
   */
  public static final int MAX_NAME_LENGTH = 40;

  /** The CRD's rule on {@code metadata.name} (CEL at the root of the schema). */
  public static final String NAME_LENGTH_RULE = "size(self.metadata.name) <= " + MAX_NAME_LENGTH;

  public static final String NAME_LENGTH_MESSAGE =
      "metadata.name must be at most "
          + MAX_NAME_LENGTH
          + " characters: the operator derives the names of the cluster's objects from it, and"
          + " the longest, the backup CronJob NAME-backup-incr, must fit Kubernetes' limit of 52"
          + " characters for CronJob names";

  public static final String NAME_FORMAT_RULE =
      "self.metadata.name.matches('" + KubernetesLimits.DNS_1035_LABEL + "')";

  public static final String NAME_FORMAT_MESSAGE =
      "metadata.name must consist of lower-case letters, digits and '-', start with a letter and"
          + " end with a letter or digit: it names the cluster's Services (NAME-primary), whose"
          + " names must be DNS-1035 labels";

  /** Kinds of scheduled backups; each has its CronJob {@code NAME-backup-KIND}. */
  public static final List<String> BACKUP_KINDS = List.of("full", "diff", "incr");

  public static final String CLUSTER_LABEL = "postgres.example.com/cluster";
  public static final String ROLE_LABEL = "postgres.example.com/role";
  public static final String ROLE_PRIMARY = "primary";
  public static final String ROLE_REPLICA = "replica";

  /** Patroni's scope label: on the pods and on the DCS ConfigMaps Patroni creates itself. */
  public static final String PATRONI_SCOPE_LABEL = "postgres.example.com/patroni-scope";

  /** The fixed label Patroni uses, with its scope label, to find its pods and ConfigMaps. */
  public static final String PATRONI_LABEL = "app.kubernetes.io/part-of";

  public static final String PATRONI_LABEL_VALUE = "pg-trickle";

  public static final String NAME_LABEL = "app.kubernetes.io/name";
  public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
  public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "pg-trickle-operator";
  public static final String APP_NAME = "postgresql";

  /** What the operator's informers select: only objects it created itself. */
  public static final String MANAGED_SELECTOR = MANAGED_BY_LABEL + "=" + MANAGED_BY;

  /** Annotation on pods: hash of everything in the template whose change needs a restart. */
  public static final String RESTART_HASH_ANNOTATION = "postgres.example.com/restart-hash";

  /** Annotation on the cluster: move the primary to this pod (a Patroni switchover). */
  public static final String SWITCHOVER_ANNOTATION = "postgres.example.com/switchover-to";

  public static final String FINALIZER = "postgres.example.com/finalizer";
  public static final String FIELD_MANAGER = "pg-trickle-operator";

  private ClusterNames() {}

  public static String statefulSet(PostgresCluster c) {
    return name(c);
  }

  public static String primaryService(PostgresCluster c) {
    return name(c) + "-primary";
  }

  public static String replicaService(PostgresCluster c) {
    return name(c) + "-replica";
  }

  public static String headlessService(PostgresCluster c) {
    return name(c) + "-pods";
  }

  public static String postgresqlConfigMap(PostgresCluster c) {
    return name(c) + "-postgresql";
  }

  public static String patroniConfigMap(PostgresCluster c) {
    return name(c) + "-patroni";
  }

  public static String credentialsSecret(PostgresCluster c) {
    return name(c) + "-credentials";
  }

  public static String replicationSecret(PostgresCluster c) {
    return name(c) + "-replication";
  }

  /** The operator's record of the passwords it applied (see credentials.AppliedCredentials). */
  public static String appliedCredentialsSecret(PostgresCluster c) {
    return name(c) + "-applied-credentials";
  }

  /** The server certificate the operator issues (type kubernetes.io/tls, with ca.crt). */
  public static String tlsSecret(PostgresCluster c) {
    return name(c) + "-tls";
  }

  /**
   * The replication user's client certificate the operator issues with its own CA (type
   * kubernetes.io/tls, with ca.crt), mounted in the members.
   */
  public static String replicationTlsSecret(PostgresCluster c) {
    return name(c) + "-replication-tls";
  }

  /** The operator's CA for the cluster: certificate and key, for the operator only. */
  public static String tlsCaSecret(PostgresCluster c) {
    return name(c) + "-tls-ca";
  }

  /** The CA certificate clients verify the server with ({@code ca.crt}), published for them. */
  public static String caSecret(PostgresCluster c) {
    return name(c) + "-ca";
  }

  /** The Service of the connection pooler: PgBouncer on the current primary. */
  public static String poolerService(PostgresCluster c) {
    return name(c) + "-pooler";
  }

  /** PgBouncer's configuration (pgbouncer.ini, no secrets). */
  public static String poolerConfigMap(PostgresCluster c) {
    return name(c) + "-pgbouncer";
  }

  /** PgBouncer's auth_query user (its password, and the auth file PgBouncer reads it from). */
  public static String poolerSecret(PostgresCluster c) {
    return name(c) + "-pgbouncer";
  }

  /** The metrics exporter's database user. */
  public static String monitoringSecret(PostgresCluster c) {
    return name(c) + "-monitoring";
  }

  /** The exporter's queries (replication lag, WAL) beyond its built-in metrics. */
  public static String exporterConfigMap(PostgresCluster c) {
    return name(c) + "-exporter";
  }

  /** The PodMonitor, when the Prometheus Operator's CRD exists. */
  public static String podMonitor(PostgresCluster c) {
    return name(c);
  }

  public static String patroniServiceAccount(PostgresCluster c) {
    return name(c) + "-patroni";
  }

  public static String podDisruptionBudget(PostgresCluster c) {
    return name(c);
  }

  /** Patroni's own DCS ConfigMaps (scope NAME): config, leader, failover and sync. */
  public static String patroniScope(PostgresCluster c) {
    return name(c);
  }

  public static String pod(PostgresCluster c, int ordinal) {
    return name(c) + "-" + ordinal;
  }

  /**
   * The CronJob of scheduled backups of one kind ({@link #BACKUP_KINDS}); reserved for the backup
   * issue, counted in {@link #MAX_NAME_LENGTH} already.
   */
  public static String backupCronJob(PostgresCluster c, String kind) {
    return backupCronJob(name(c), kind);
  }

  /** The PostgresBackup carrying {@code spec.backup.schedule} and {@code retention}. */
  public static String scheduledBackup(PostgresCluster c) {
    return name(c) + "-schedule";
  }

  /** The Job of the first backup after the repository is created (pgBackRest stanza). */
  public static String initialBackupJob(PostgresCluster c) {
    return initialBackupJob(name(c));
  }

  /**
   * Everything derived from a cluster's name, at its longest, with the limit it must meet: the
   * names of its children, the labels carrying the name, and what the StatefulSet controller and
   * (for backups) the CronJob controller derive from those.
   */
  public static final List<DerivedName> DERIVED =
      List.of(
          new DerivedName(
              "label controller-revision-hash of the pods (StatefulSet NAME + '-' + hash)",
              n -> n + "-" + generated(KubernetesLimits.CONTROLLER_HASH),
              KubernetesLimits.LABEL,
              "label values are limited to 63 characters"),
          new DerivedName(
              "pod NAME-ORDINAL, its host name and label statefulset.kubernetes.io/pod-name",
              n -> n + "-" + (io.pgtrickle.operator.api.PostgresClusterSpec.MAX_REPLICAS - 1),
              KubernetesLimits.LABEL,
              "host names and label values are limited to 63 characters"),
          new DerivedName(
              "Services NAME-primary, NAME-replica, NAME-pods, NAME-pooler",
              n -> longest(n + "-primary", n + "-replica", n + "-pods", n + "-pooler"),
              KubernetesLimits.LABEL,
              "Service names are DNS labels, limited to 63 characters"),
          new DerivedName(
              "labels postgres.example.com/cluster, app.kubernetes.io/instance and Patroni's scope",
              n -> n,
              KubernetesLimits.LABEL,
              "label values are limited to 63 characters"),
          new DerivedName(
              "backup CronJobs NAME-backup-full|diff|incr",
              n -> longest(BACKUP_KINDS.stream().map(k -> backupCronJob(n, k)).toList()),
              KubernetesLimits.CRONJOB,
              "CronJob names are limited to 52 characters"),
          new DerivedName(
              "PostgresBackup NAME-schedule (spec.backup.schedule; its name labels its backups)",
              n -> n + "-schedule",
              KubernetesLimits.LABEL,
              "a PostgresBackup's name is limited to 63 characters"),
          new DerivedName(
              "first backup Job NAME-backup-initial (label batch.kubernetes.io/job-name)",
              ClusterNames::initialBackupJob,
              KubernetesLimits.LABEL,
              "a Job's name is a label value of its pods, limited to 63 characters"),
          new DerivedName(
              "ConfigMaps, Secrets, ServiceAccount, Patroni's DCS ConfigMaps and volume claims",
              n ->
                  longest(
                      n + "-postgresql",
                      n + "-applied-credentials",
                      n + "-monitoring",
                      n + "-pgbouncer",
                      n + "-tls-ca",
                      n + "-replication",
                      n + "-failover",
                      "data-" + n + "-" + generated(1)),
              KubernetesLimits.SUBDOMAIN,
              "object names are DNS subdomains, limited to 253 characters"));

  private static String backupCronJob(String name, String kind) {
    return name + "-backup-" + kind;
  }

  private static String initialBackupJob(String name) {
    return name + "-backup-initial";
  }

  private static String longest(String... names) {
    return longest(List.of(names));
  }

  private static String longest(List<String> names) {
    return names.stream().max(java.util.Comparator.comparingInt(String::length)).orElseThrow();
  }

  /** The labels every child carries. */
  public static Map<String, String> labels(PostgresCluster c, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(CLUSTER_LABEL, name(c));
    labels.put(NAME_LABEL, APP_NAME);
    labels.put(INSTANCE_LABEL, name(c));
    labels.put(COMPONENT_LABEL, component);
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    return labels;
  }

  /** The labels of the pods: the cluster's labels plus the ones Patroni selects its pods by. */
  public static Map<String, String> podLabels(PostgresCluster c) {
    Map<String, String> labels = labels(c, "database");
    labels.put(PATRONI_LABEL, PATRONI_LABEL_VALUE);
    labels.put(PATRONI_SCOPE_LABEL, patroniScope(c));
    return labels;
  }

  /** What selects a cluster's pods; immutable once a StatefulSet exists, so kept minimal. */
  public static Map<String, String> podSelector(PostgresCluster c) {
    return Map.of(CLUSTER_LABEL, name(c), COMPONENT_LABEL, "database");
  }

  private static String name(PostgresCluster c) {
    return c.getMetadata().getName();
  }
}
