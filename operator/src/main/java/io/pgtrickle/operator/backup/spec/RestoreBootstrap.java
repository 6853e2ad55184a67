package io.pgtrickle.operator.backup.spec;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import io.pgtrickle.operator.api.BackupDestination;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code spec.restore}: a new cluster whose first member is restored from the source cluster's
 * pgBackRest repository by Patroni's custom bootstrap ({@code restore.sh bootstrap}, then recovery
 * with {@code restore.sh archive-get} as restore_command, to the end of the archive or to {@code
 * targetTime} and promoted); the other members are cloned from it as usual. The source is
 * configured apart ({@code /etc/pgbackrest/restore-source.conf}, its secrets under their own
 * names), so the cluster's own archive_command and backups only ever use its own repository. Pure:
 * no client calls.
 */
public final class RestoreBootstrap {

  /** Patroni's bootstrap method name. */
  public static final String METHOD = "pgbackrest_restore";

  public static final String SCRIPT_KEY = "restore.sh";
  public static final String SOURCE_CONFIG_KEY = "restore-source.conf";
  public static final String SCRIPT = PgBackRest.CONFIG_DIR + "/" + SCRIPT_KEY;
  public static final String SOURCE_CA_FILE = PgBackRest.CONFIG_DIR + "/source-ca/ca.crt";
  public static final String SOURCE_GCS_KEY_FILE = PgBackRest.CONFIG_DIR + "/source-gcs/key.json";

  /**
   * Where the source's repository volume ({@code destination.type} PVC) is mounted, read-only, in a
   * restored cluster's pods: beside the cluster's own {@link PgBackRest#REPO_MOUNT}, so the
   * restored cluster can never write into its source's repository.
   */
  public static final String SOURCE_REPO_MOUNT = "/pgbackrest-source-repo";

  public static final String SOURCE_REPO_VOLUME = "pgbackrest-source-repo";

  /** The placeholder of {@code restore.sh} that {@link #script(String)} fills with the UID. */
  static final String UID_PLACEHOLDER = "@CLUSTER_UID@";

  private static final Pattern UID = Pattern.compile("[a-z0-9-]+");

  public static final String RESTORE_COMMAND = "sh " + SCRIPT + " archive-get %f \"%p\"";

  private RestoreBootstrap() {}

  /** Patroni's {@code bootstrap.method} and its section, for {@code bootstrap}. */
  public static Map<String, Object> patroniBootstrap(RestoreSource source) {
    Map<String, Object> recovery = new LinkedHashMap<>();
    recovery.put("restore_command", RESTORE_COMMAND);
    recovery.put("recovery_target_timeline", "latest");
    String command = "sh " + SCRIPT + " bootstrap";
    if (source.targetTime() != null) {
      recovery.put("recovery_target_time", source.targetTime());
      recovery.put("recovery_target_action", "promote");
      command += " '" + source.targetTime() + "'";
    }
    Map<String, Object> method = new LinkedHashMap<>();
    method.put("command", command);
    method.put("no_params", true);
    method.put("keep_existing_recovery_conf", false);
    method.put("recovery_conf", recovery);
    Map<String, Object> bootstrap = new LinkedHashMap<>();
    bootstrap.put("method", METHOD);
    bootstrap.put(METHOD, method);
    return bootstrap;
  }

  /**
   * Where a failed restore of the cluster with {@code metadata.uid} {@code uid} leaves its reason,
   * on the member's volume (outside the data dir), e.g. {@code
   * /var/lib/postgresql/data/restore-0b5c...-9e1f.failed}. Per UID because the volume outlives the
   * cluster (reclaimPolicy Retain): a cluster deleted after a failed restore and created again
   * under the same name re-binds the same claim, and must restore again, not report the old
   * failure.
   *
   * @throws IllegalArgumentException when {@code uid} is null or not a Kubernetes UID (lowercase
   *     letters, digits and dashes), so that it is safe in a file name and in the script
   */
  public static String failedFile(String uid) {
    return ClusterStatefulSet.DATA_MOUNT + "/restore-" + checkedUid(uid) + ".failed";
  }

  /**
   * The ConfigMap entries of {@code cluster} (its {@code metadata.uid} is required, see {@link
   * #failedFile}): the script, for that UID, and the source repository's configuration.
   */
  public static Map<String, String> configFiles(PostgresCluster cluster, RestoreSource source) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(SCRIPT_KEY, script(cluster.getMetadata().getUid()));
    files.put(
        SOURCE_CONFIG_KEY,
        "# The repository of the PostgresCluster "
            + source.clusterName()
            + ", read by spec.restore.\n"
            + PgBackRest.config(
                source.backup(),
                source.repositoryPath(),
                SOURCE_CA_FILE,
                SOURCE_GCS_KEY_FILE,
                SOURCE_REPO_MOUNT));
    return files;
  }

  /**
   * The restore script, {@code restore.sh} (a resource of the operator), for the cluster with
   * {@code metadata.uid} {@code uid}: its failure file is {@link #failedFile(String)} of that UID.
   *
   * @throws IllegalArgumentException as {@link #failedFile(String)}
   */
  public static String script(String uid) {
    return template().replace(UID_PLACEHOLDER, checkedUid(uid));
  }

  private static String checkedUid(String uid) {
    if (uid == null || !UID.matcher(uid).matches()) {
      throw new IllegalArgumentException(
          "a restored cluster needs its metadata.uid (lowercase letters, digits, dashes), got "
              + uid);
    }
    return uid;
  }

  private static String template() {
    try (InputStream in = RestoreBootstrap.class.getResourceAsStream("/pgbackrest/restore.sh")) {
      if (in == null) {
        throw new IllegalStateException("pgbackrest/restore.sh is missing from the operator");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Adds to the pod template what the restore needs: the source's secrets as environment ({@code
   * RESTORE_SOURCE_*}, references only) and the script, source configuration and source CA in the
   * volume at {@code /etc/pgbackrest} (made here when the cluster has no {@code spec.backup}); for
   * a source repository on a volume, that volume's claim, read-only at {@link #SOURCE_REPO_MOUNT}.
   */
  public static void apply(
      PostgresCluster cluster, RestoreSource source, PodTemplateSpec template) {
    Container postgres = template.getSpec().getContainers().get(0);
    List<EnvVar> env = new ArrayList<>(postgres.getEnv());
    env.addAll(env(source));
    postgres.setEnv(env);
    Volume volume =
        template.getSpec().getVolumes().stream()
            .filter(v -> v.getName().equals(PgBackRest.VOLUME))
            .findFirst()
            .orElse(null);
    if (volume == null) {
      volume =
          new VolumeBuilder().withName(PgBackRest.VOLUME).withNewProjected().endProjected().build();
      template.getSpec().getVolumes().add(volume);
      postgres
          .getVolumeMounts()
          .add(
              new VolumeMountBuilder()
                  .withName(PgBackRest.VOLUME)
                  .withMountPath(PgBackRest.CONFIG_DIR)
                  .withReadOnly(true)
                  .build());
    }
    volume.getProjected().getSources().addAll(projections(cluster, source));
    if (PgBackRest.onVolume(source.backup())) {
      // The source's ReadWriteMany claim, read-only. Kubernetes keeps the claim while pods mount
      // it (pvc-protection), so the source's backups cannot be deleted under a running restore.
      template
          .getSpec()
          .getVolumes()
          .add(
              new VolumeBuilder()
                  .withName(SOURCE_REPO_VOLUME)
                  .withNewPersistentVolumeClaim()
                  .withClaimName(PgBackRest.repositoryClaim(source.clusterName()))
                  .withReadOnly(true)
                  .endPersistentVolumeClaim()
                  .build());
      postgres
          .getVolumeMounts()
          .add(
              new VolumeMountBuilder()
                  .withName(SOURCE_REPO_VOLUME)
                  .withMountPath(SOURCE_REPO_MOUNT)
                  .withReadOnly(true)
                  .build());
    }
  }

  static List<EnvVar> env(RestoreSource source) {
    List<EnvVar> env = new ArrayList<>();
    BackupDestination d = source.backup().getDestination();
    // RESTORE_SOURCE_REPO1_S3_KEY and so on: restore.sh exports them as PGBACKREST_REPO1_*.
    env.addAll(ObjectStore.env(d, "RESTORE_SOURCE_"));
    if (PgBackRest.encrypted(source.backup())) {
      env.add(
          PgBackRest.secret(
              "RESTORE_SOURCE_CIPHER_PASS",
              RepositoryCipher.secretName(source.backup(), source.clusterName()),
              PgBackRest.PASSPHRASE));
    }
    return env;
  }

  static List<VolumeProjection> projections(PostgresCluster cluster, RestoreSource source) {
    List<VolumeProjection> sources = new ArrayList<>();
    sources.add(
        new VolumeProjectionBuilder()
            .withNewConfigMap()
            .withName(ClusterNames.patroniConfigMap(cluster))
            .addNewItem()
            .withKey(SCRIPT_KEY)
            .withPath(SCRIPT_KEY)
            .endItem()
            .addNewItem()
            .withKey(SOURCE_CONFIG_KEY)
            .withPath(SOURCE_CONFIG_KEY)
            .endItem()
            .endConfigMap()
            .build());
    BackupDestination d = source.backup().getDestination();
    if (d != null && d.getCaSecret() != null) {
      sources.add(
          new VolumeProjectionBuilder()
              .withNewSecret()
              .withName(d.getCaSecret())
              .addNewItem()
              .withKey("ca.crt")
              .withPath("source-ca/ca.crt")
              .endItem()
              .endSecret()
              .build());
    }
    sources.addAll(ObjectStore.keyFiles(d, "source-gcs/key.json"));
    return sources;
  }
}
