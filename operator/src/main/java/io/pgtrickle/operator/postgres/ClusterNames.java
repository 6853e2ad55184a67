package io.pgtrickle.operator.postgres;

import io.pgtrickle.operator.api.PostgresCluster;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every name and label of a PostgresCluster's children, in one place (DESIGN.md §3). */
public final class ClusterNames {

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
