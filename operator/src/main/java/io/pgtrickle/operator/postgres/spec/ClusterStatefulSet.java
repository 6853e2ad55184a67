package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.ReclaimPolicy;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.backup.spec.RestoreBootstrap;
import io.pgtrickle.operator.backup.spec.RestoreSource;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import io.pgtrickle.operator.spec.RestrictedSecurity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The StatefulSet of a cluster: one Patroni + PostgreSQL container per pod, a volume per member.
 *
 * <p>Updates use {@code OnDelete}: the operator restarts pods itself, replicas first and the
 * primary last, and resizes CPU and memory in place where the API server supports it. The pod
 * template carries a hash of everything but the resources, so a pod needs a restart exactly when
 * that hash differs from its own.
 */
public final class ClusterStatefulSet {

  public static final String CONTAINER = "postgres";
  public static final String DATA_VOLUME = "data";

  /** Where the PostgreSQL container mounts the data volume (PGDATA is a directory below it). */
  public static final String DATA_MOUNT = "/var/lib/postgresql/data";

  public static final long POSTGRES_UID = 999L;
  static final String PATRONI_CONFIG_ANNOTATION = "postgres.example.com/patroni-config-hash";
  static final String CREDENTIALS_GENERATION_ANNOTATION =
      "postgres.example.com/credentials-generation";

  private ClusterStatefulSet() {}

  public static StatefulSet build(PostgresCluster cluster, String image) {
    return build(cluster, image, 0);
  }

  /**
   * The StatefulSet whose pods run with the {@code credentialsGeneration}-th set of passwords (see
   * credentials.AppliedCredentials): a new generation changes the template, so the members restart
   * onto the new passwords. Generation 0 (never changed) adds nothing to the template.
   */
  public static StatefulSet build(
      PostgresCluster cluster, String image, long credentialsGeneration) {
    return build(cluster, image, credentialsGeneration, null);
  }

  /**
   * The same for a cluster restored from {@code source} ({@code spec.restore}; null: none): its
   * pods also carry the source repository's secrets and the restore script.
   */
  public static StatefulSet build(
      PostgresCluster cluster, String image, long credentialsGeneration, RestoreSource source) {
    return build(cluster, image, credentialsGeneration, source, false);
  }

  /**
   * The same during a TLS transition ({@code tlsTransition}, see {@link
   * io.pgtrickle.operator.postgres.rollout.TlsTransition}): as with TLS, but replication prefers
   * TLS instead of verifying it and requires no client certificate.
   */
  public static StatefulSet build(
      PostgresCluster cluster,
      String image,
      long credentialsGeneration,
      RestoreSource source,
      boolean tlsTransition) {
    PodTemplateSpec template = podTemplate(cluster, image, tlsTransition);
    if (source != null) {
      RestoreBootstrap.apply(cluster, source, template);
    }
    // TLS, the pooler and the exporter (issue #17): additions kept in their own builders.
    PodAdditions.apply(cluster, template);
    if (credentialsGeneration > 0) {
      template
          .getMetadata()
          .getAnnotations()
          .put(CREDENTIALS_GENERATION_ANNOTATION, Long.toString(credentialsGeneration));
    }
    String restartHash = restartHash(template);
    template.getMetadata().getAnnotations().put(ClusterNames.RESTART_HASH_ANNOTATION, restartHash);
    boolean deleteVolumes =
        cluster.getSpec().getStorage().getReclaimPolicy() == ReclaimPolicy.Delete;
    return new StatefulSetBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.statefulSet(cluster), "database"))
        .withNewSpec()
        .withReplicas(cluster.getSpec().getReplicas())
        .withServiceName(ClusterNames.headlessService(cluster))
        // Members start together; Patroni, not the start order, decides who leads.
        .withPodManagementPolicy("Parallel")
        .withNewUpdateStrategy()
        .withType("OnDelete")
        .endUpdateStrategy()
        .withNewSelector()
        .withMatchLabels(ClusterNames.podSelector(cluster))
        .endSelector()
        .withTemplate(template)
        .withVolumeClaimTemplates(volumeClaim(cluster))
        .withNewPersistentVolumeClaimRetentionPolicy()
        .withWhenDeleted(deleteVolumes ? "Delete" : "Retain")
        .withWhenScaled("Retain")
        .endPersistentVolumeClaimRetentionPolicy()
        .endSpec()
        .build();
  }

  /** The hash of the template without resources: equal hashes mean no restart is needed. */
  public static String restartHash(PodTemplateSpec template) {
    PodTemplateSpec copy = new PodTemplateSpecBuilder(template).build();
    copy.getMetadata().getAnnotations().remove(ClusterNames.RESTART_HASH_ANNOTATION);
    copy.getSpec().getContainers().forEach(c -> c.setResources(null));
    return Hashes.of(copy);
  }

  static PodTemplateSpec podTemplate(PostgresCluster cluster, String image) {
    return podTemplate(cluster, image, false);
  }

  static PodTemplateSpec podTemplate(PostgresCluster cluster, String image, boolean tlsTransition) {
    Map<String, String> annotations = new LinkedHashMap<>();
    // Patroni reads its file at start: a change outside bootstrap.dcs needs a restart.
    annotations.put(
        PATRONI_CONFIG_ANNOTATION, Hashes.of(PatroniConfig.local(cluster, tlsTransition)));
    if (tlsTransition) {
      annotations.put(ClusterTls.TRANSITION_ANNOTATION, "true");
    }
    return new PodTemplateSpecBuilder()
        .withNewMetadata()
        .withLabels(ClusterNames.podLabels(cluster))
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(ClusterNames.patroniServiceAccount(cluster))
        .withTerminationGracePeriodSeconds(30L)
        .withEnableServiceLinks(false)
        .withSecurityContext(RestrictedSecurity.pod(POSTGRES_UID))
        .withContainers(container(cluster, image))
        .addNewVolume()
        .withName("patroni-config")
        .withNewConfigMap()
        .withName(ClusterNames.patroniConfigMap(cluster))
        .endConfigMap()
        .endVolume()
        .addNewVolume()
        .withName("tmp")
        .withNewEmptyDir()
        .endEmptyDir()
        .endVolume()
        .addNewVolume()
        .withName("run")
        .withNewEmptyDir()
        .endEmptyDir()
        .endVolume()
        .addAllToVolumes(PgBackRest.volumes(cluster))
        .withNewAffinity()
        .withNewPodAntiAffinity()
        .addNewPreferredDuringSchedulingIgnoredDuringExecution()
        .withWeight(100)
        .withNewPodAffinityTerm()
        .withTopologyKey("kubernetes.io/hostname")
        .withNewLabelSelector()
        .withMatchLabels(ClusterNames.podSelector(cluster))
        .endLabelSelector()
        .endPodAffinityTerm()
        .endPreferredDuringSchedulingIgnoredDuringExecution()
        .endPodAntiAffinity()
        .endAffinity()
        .addNewTopologySpreadConstraint()
        .withMaxSkew(1)
        .withTopologyKey("topology.kubernetes.io/zone")
        .withWhenUnsatisfiable("ScheduleAnyway")
        .withNewLabelSelector()
        .withMatchLabels(ClusterNames.podSelector(cluster))
        .endLabelSelector()
        .endTopologySpreadConstraint()
        .endSpec()
        .build();
  }

  static Container container(PostgresCluster cluster, String image) {
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(image)
        .withImagePullPolicy("IfNotPresent")
        .withArgs(PatroniConfig.CONFIG_MOUNT + "/" + PatroniConfig.CONFIG_FILE)
        .withEnv(env(cluster))
        .addNewPort()
        .withName("postgresql")
        .withContainerPort(ClusterServices.POSTGRES_PORT)
        .withProtocol("TCP")
        .endPort()
        .addNewPort()
        .withName("patroni")
        .withContainerPort(ClusterServices.PATRONI_PORT)
        .withProtocol("TCP")
        .endPort()
        .withResources(resources(cluster))
        .addNewResizePolicy()
        .withResourceName("cpu")
        .withRestartPolicy("NotRequired")
        .endResizePolicy()
        .addNewResizePolicy()
        .withResourceName("memory")
        .withRestartPolicy("NotRequired")
        .endResizePolicy()
        // Patroni's /liveness, not pg_isready: PostgreSQL is legitimately down for as long as a
        // replica is cloned (pg_basebackup), restored from a backup, rewound or recovers a WAL
        // backlog, and a container killed then starts the same work over, for ever on a database
        // big enough. /liveness fails once Patroni's HA loop has not run for ttl (the primary) or
        // 2 x ttl (a replica), so a wedged Patroni is restarted (and a primary's PostgreSQL with
        // it) while a busy one is left alone.
        .withNewLivenessProbe()
        .withNewHttpGet()
        .withPath("/liveness")
        .withNewPort("patroni")
        .withScheme("HTTP")
        .endHttpGet()
        .withPeriodSeconds(10)
        .withTimeoutSeconds(5)
        .withFailureThreshold(3)
        .endLivenessProbe()
        .withNewReadinessProbe()
        .withNewHttpGet()
        .withPath("/health")
        .withNewPort("patroni")
        .withScheme("HTTP")
        .endHttpGet()
        .withPeriodSeconds(5)
        .withTimeoutSeconds(3)
        .withFailureThreshold(3)
        .endReadinessProbe()
        // 12 x 5 s: Patroni gets 60 s to answer before liveness checks begin. Not PostgreSQL:
        // a new replica's clone or a restore runs for as long as the data takes.
        .withNewStartupProbe()
        .withNewHttpGet()
        .withPath("/liveness")
        .withNewPort("patroni")
        .withScheme("HTTP")
        .endHttpGet()
        .withPeriodSeconds(5)
        .withTimeoutSeconds(5)
        .withFailureThreshold(12)
        .endStartupProbe()
        .withSecurityContext(RestrictedSecurity.container())
        .addNewVolumeMount()
        .withName(DATA_VOLUME)
        .withMountPath(DATA_MOUNT)
        .endVolumeMount()
        .addNewVolumeMount()
        .withName("patroni-config")
        .withMountPath(PatroniConfig.CONFIG_MOUNT)
        .withReadOnly(true)
        .endVolumeMount()
        .addNewVolumeMount()
        .withName("tmp")
        .withMountPath("/tmp")
        .endVolumeMount()
        .addNewVolumeMount()
        .withName("run")
        .withMountPath("/var/run/postgresql")
        .endVolumeMount()
        .addAllToVolumeMounts(PgBackRest.volumeMounts(cluster))
        .build();
  }

  /** The container's resources; an empty spec gives empty requirements, never null. */
  public static ResourceRequirements resources(PostgresCluster cluster) {
    ResourceRequirements spec = cluster.getSpec().getResources();
    if (spec == null) {
      return new ResourceRequirements();
    }
    return new ResourceRequirementsBuilder(spec).build();
  }

  static List<EnvVar> env(PostgresCluster cluster) {
    String credentials = ClusterNames.credentialsSecret(cluster);
    String replication = ClusterNames.replicationSecret(cluster);
    List<EnvVar> env = new ArrayList<>();
    env.add(field("PATRONI_NAME", "metadata.name"));
    env.add(field("PATRONI_KUBERNETES_NAMESPACE", "metadata.namespace"));
    env.add(field("PATRONI_KUBERNETES_POD_IP", "status.podIP"));
    env.add(value("PATRONI_SCOPE", ClusterNames.patroniScope(cluster)));
    env.add(value("PATRONI_POSTGRESQL_CONNECT_ADDRESS", "$(PATRONI_KUBERNETES_POD_IP):5432"));
    env.add(value("PATRONI_RESTAPI_CONNECT_ADDRESS", "$(PATRONI_KUBERNETES_POD_IP):8008"));
    env.add(secret("PATRONI_SUPERUSER_USERNAME", credentials, ClusterSecrets.USERNAME));
    env.add(secret("PATRONI_SUPERUSER_PASSWORD", credentials, ClusterSecrets.PASSWORD));
    env.add(secret("PATRONI_REPLICATION_USERNAME", replication, ClusterSecrets.USERNAME));
    env.add(secret("PATRONI_REPLICATION_PASSWORD", replication, ClusterSecrets.PASSWORD));
    env.add(secret("PATRONI_REWIND_USERNAME", replication, ClusterSecrets.REWIND_USERNAME));
    env.add(secret("PATRONI_REWIND_PASSWORD", replication, ClusterSecrets.REWIND_PASSWORD));
    env.add(secret("PATRONI_RESTAPI_USERNAME", replication, ClusterSecrets.RESTAPI_USERNAME));
    env.add(secret("PATRONI_RESTAPI_PASSWORD", replication, ClusterSecrets.RESTAPI_PASSWORD));
    env.add(value("PGDATA", PatroniConfig.DATA_DIR));
    env.addAll(PgBackRest.env(cluster));
    return env;
  }

  /**
   * {@code desired} with the storage request of {@code live}'s claim template: the API server
   * refuses changing a StatefulSet's claim templates, so a grown {@code spec.storage.size} reaches
   * the members' claims by volume expansion ({@code storage.MemberVolumes}), not the template.
   * {@code desired} itself when there is no live StatefulSet. Pure: {@code desired} is copied.
   */
  public static StatefulSet keepingClaimSize(StatefulSet desired, StatefulSet live) {
    if (live == null
        || live.getSpec().getVolumeClaimTemplates() == null
        || live.getSpec().getVolumeClaimTemplates().isEmpty()) {
      return desired;
    }
    Map<String, Quantity> liveRequests =
        live.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests();
    Quantity size = liveRequests == null ? null : liveRequests.get("storage");
    if (size == null) {
      return desired;
    }
    StatefulSet copy = new StatefulSetBuilder(desired).build();
    copy.getSpec()
        .getVolumeClaimTemplates()
        .get(0)
        .getSpec()
        .getResources()
        .getRequests()
        .put("storage", new Quantity(size.toString()));
    return copy;
  }

  static PersistentVolumeClaim volumeClaim(PostgresCluster cluster) {
    String storageClass = cluster.getSpec().getStorage().getStorageClass();
    return new PersistentVolumeClaimBuilder()
        .withNewMetadata()
        .withName(DATA_VOLUME)
        .withLabels(ClusterNames.labels(cluster, "database"))
        .endMetadata()
        .withNewSpec()
        .withAccessModes("ReadWriteOnce")
        .withStorageClassName(storageClass == null || storageClass.isBlank() ? null : storageClass)
        .withNewResources()
        .addToRequests("storage", new Quantity(cluster.getSpec().getStorage().getSize()))
        .endResources()
        .endSpec()
        .build();
  }

  private static EnvVar field(String name, String path) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withApiVersion("v1")
        .withFieldPath(path)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  private static EnvVar value(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static EnvVar secret(String name, String secret, String key) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewSecretKeyRef()
        .withName(secret)
        .withKey(key)
        .endSecretKeyRef()
        .endValueFrom()
        .build();
  }
}
