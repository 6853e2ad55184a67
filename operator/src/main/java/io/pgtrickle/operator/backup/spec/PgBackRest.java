package io.pgtrickle.operator.backup.spec;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import io.pgtrickle.operator.api.BackupDestination;
import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.api.Compression;
import io.pgtrickle.operator.api.DestinationType;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import io.pgtrickle.operator.postgres.spec.PatroniConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pgBackRest in a cluster's PostgreSQL pods, for {@code spec.backup}: the configuration file (no
 * secret in it: it lives in the {@code NAME-patroni} ConfigMap), the environment carrying the
 * secrets (object store keys, cipher passphrase, the superuser's password for pgBackRest's local
 * connection: all {@code secretKeyRef}s), the volume at {@code /etc/pgbackrest}, and the archiving
 * parameters PostgreSQL gets through Patroni. Pure: no client calls.
 */
public final class PgBackRest {

  /** The one stanza of a cluster's repository path (each cluster has a path of its own). */
  public static final String STANZA = "db";

  public static final String CONFIG_KEY = "pgbackrest.conf";
  public static final String CONFIG_DIR = "/etc/pgbackrest";
  public static final String CA_FILE = CONFIG_DIR + "/ca/ca.crt";

  /** Where the GCS service account key ({@code key.json} of the credentials Secret) is mounted. */
  public static final String GCS_KEY_FILE = CONFIG_DIR + "/gcs/key.json";

  public static final String SOCKET_DIR = "/var/run/postgresql";
  public static final String VOLUME = "pgbackrest-config";

  /** Where the repository volume of {@code destination.type} PVC is mounted in the pods. */
  public static final String REPO_MOUNT = "/pgbackrest-repo";

  public static final String REPO_VOLUME = "pgbackrest-repo";

  /** Keys of the S3 credentials Secret (seed 003's aws-backup-credentials). */
  public static final String ACCESS_KEY = ObjectStore.AWS_ACCESS_KEY;

  public static final String SECRET_KEY = ObjectStore.AWS_SECRET_KEY;

  /** Key of the encryption Secret. */
  public static final String PASSPHRASE = "passphrase";

  /** pgBackRest's io-timeout for archive-push and archive-get, seconds (its default: 60). */
  public static final int ARCHIVE_IO_TIMEOUT_SECONDS = 10;

  /**
   * {@code process-max} of a backup without {@code spec.backup.processMax}: 2, as CloudNativePG's
   * default for its backup upload jobs ({@code data.jobs}); pgBackRest's own default is 1. On this
   * 2-core machine a 2 GB backup to S3 took 1.48x less time with 2 than with 1 (make bench-backup,
   * operator/README.md).
   */
  public static final int DEFAULT_PROCESS_MAX = 2;

  /** What archive_command runs: one WAL file pushed to the repository. */
  public static final String ARCHIVE_COMMAND =
      "pgbackrest --stanza=" + STANZA + " archive-push \"%p\"";

  private PgBackRest() {}

  /**
   * The command prefix that runs pgBackRest with the superuser's password for its connection to
   * PostgreSQL: {@code sh -c 'PGPASSWORD=$PATRONI_SUPERUSER_PASSWORD exec pgbackrest "$@"'
   * pgbackrest ARGS...} (the password comes from the container's own environment, never from a
   * command line).
   */
  public static final List<String> RUN_WITH_PASSWORD =
      List.of(
          "sh",
          "-c",
          "PGPASSWORD=\"$PATRONI_SUPERUSER_PASSWORD\" exec pgbackrest \"$@\"",
          "pgbackrest");

  /** Whether the cluster has backups configured. */
  public static boolean enabled(PostgresCluster cluster) {
    return cluster.getSpec().getBackup() != null;
  }

  /** The repository path: {@code destination.path}, or /pgbackrest/NAMESPACE/NAME. */
  public static String repositoryPath(PostgresCluster cluster) {
    return repositoryPath(
        cluster.getSpec().getBackup(),
        cluster.getMetadata().getNamespace(),
        cluster.getMetadata().getName());
  }

  /** pgbackrest.conf for the cluster's pods. */
  public static String config(PostgresCluster cluster) {
    return config(cluster.getSpec().getBackup(), repositoryPath(cluster), CA_FILE, GCS_KEY_FILE);
  }

  /**
   * pgbackrest.conf for the repository {@code backup} describes at {@code path}, stanza {@link
   * #STANZA} over the pod's data directory; a private CA of the endpoint is read from {@code
   * caFile}, a GCS service account key from {@code gcsKeyFile}. Also the configuration a restored
   * cluster reads its source's repository with.
   */
  public static String config(BackupSpec backup, String path, String caFile, String gcsKeyFile) {
    return config(backup, path, caFile, gcsKeyFile, REPO_MOUNT);
  }

  /**
   * As {@link #config(BackupSpec, String, String, String)}, with a volume repository ({@code
   * destination.type} PVC) mounted at {@code repoMount} instead of {@link #REPO_MOUNT} (a restored
   * cluster mounts its source's volume beside its own).
   */
  public static String config(
      BackupSpec backup, String path, String caFile, String gcsKeyFile, String repoMount) {
    BackupDestination d = backup.getDestination();
    Map<String, String> global = new LinkedHashMap<>();
    if (onVolume(backup)) {
      // The cluster's repository volume (ReadWriteMany), mounted in every member.
      global.put("repo1-type", "posix");
      global.put("repo1-path", repoMount + path);
    } else {
      global.put("repo1-path", path);
    }
    global.putAll(ObjectStore.options(d, caFile, gcsKeyFile));
    if (encrypted(backup)) {
      global.put("repo1-cipher-type", "aes-256-cbc");
    }
    global.put("compress-type", compressType(backup.getCompression()));
    if ("zst".equals(global.get("compress-type"))) {
      // zstd level 1, not pgBackRest's 3: measured here on 1 GB of md5 text, a full backup to a
      // posix repository took 25 s instead of 46 s for a repository 1% larger (450 MB vs 444 MB).
      global.put("compress-level", "1");
    }
    // Small files (a cluster has about a thousand, most of a few kB) bundled into objects of up to
    // 20 MiB: one write (one PUT on an object store, one fsync on a volume) per bundle rather than
    // per file; measured in BackupBenchmark. Restores read bundles like files.
    global.put("repo1-bundle", "y");
    // Retention is the operator's (PostgresBackup, by count and age, keep-forever): pgBackRest's
    // own expiry after each backup is off (it would only read the repository: nothing exceeds
    // the retention below) and must never remove what the operator keeps.
    global.put("repo1-retention-full", "9999999");
    global.put("expire-auto", "n");
    global.put("start-fast", "y");
    global.put("log-level-console", "info");
    global.put("log-level-file", "off");
    // Every member serves pgBackRest over TLS (PgBackRestServer): the backup Jobs read through it.
    global.putAll(PgBackRestServer.serverOptions());
    StringBuilder conf = new StringBuilder("# Managed by the pg-trickle operator (spec.backup).\n");
    conf.append("[global]\n");
    global.forEach((k, v) -> conf.append(k).append('=').append(v).append('\n'));
    // An unreachable repository fails a WAL push or fetch within seconds rather than pgBackRest's
    // default minute: PostgreSQL retries a failed archive_command, so archiving catches up soon
    // after the repository returns, and a restore_command never holds recovery for long.
    for (String command : List.of("archive-push", "archive-get")) {
      conf.append("\n[global:").append(command).append("]\n");
      conf.append("io-timeout=").append(ARCHIVE_IO_TIMEOUT_SECONDS).append('\n');
    }
    // spec.backup.processMax: the backup command only (the Jobs' backups and one run by hand).
    conf.append("\n[global:backup]\n");
    conf.append("process-max=")
        .append(backup.getProcessMax() == null ? DEFAULT_PROCESS_MAX : backup.getProcessMax())
        .append('\n');
    conf.append('\n').append('[').append(STANZA).append("]\n");
    conf.append("pg1-path=").append(PatroniConfig.DATA_DIR).append('\n');
    conf.append("pg1-socket-path=").append(SOCKET_DIR).append('\n');
    conf.append("pg1-port=5432\n");
    return conf.toString();
  }

  /**
   * Whether the repository is a volume of the cluster ({@code destination.type} PVC, the default).
   */
  public static boolean onVolume(BackupSpec backup) {
    BackupDestination d = backup.getDestination();
    return d == null || d.getType() == null || d.getType() == DestinationType.PVC;
  }

  /** The repository volume's claim: {@code NAME-pgbackrest-repo}. */
  public static String repositoryClaim(PostgresCluster cluster) {
    return repositoryClaim(cluster.getMetadata().getName());
  }

  /** The repository volume's claim of the cluster named {@code clusterName}. */
  public static String repositoryClaim(String clusterName) {
    return clusterName + "-pgbackrest-repo";
  }

  /**
   * The repository volume of {@code destination.type} PVC: ReadWriteMany (every member archives to
   * it, and a backup runs in whichever member is the primary), {@code destination.size} or the
   * cluster's {@code storage.size}, the cluster's storage class (it must offer ReadWriteMany, e.g.
   * NFS, CephFS, EFS, Azure Files). No owner reference: the backups outlive the cluster.
   */
  public static PersistentVolumeClaim repositoryVolume(PostgresCluster cluster) {
    BackupDestination d = cluster.getSpec().getBackup().getDestination();
    String size =
        d != null && d.getSize() != null ? d.getSize() : cluster.getSpec().getStorage().getSize();
    PersistentVolumeClaimBuilder claim =
        new PersistentVolumeClaimBuilder()
            .withNewMetadata()
            .withName(repositoryClaim(cluster))
            .withNamespace(cluster.getMetadata().getNamespace())
            .withLabels(ClusterNames.labels(cluster, "backup"))
            .endMetadata()
            .withNewSpec()
            .withAccessModes("ReadWriteMany")
            .withNewResources()
            .addToRequests("storage", new Quantity(size))
            .endResources()
            .endSpec();
    String storageClass = cluster.getSpec().getStorage().getStorageClass();
    if (storageClass != null && !storageClass.isBlank()) {
      claim.editSpec().withStorageClassName(storageClass).endSpec();
    }
    return claim.build();
  }

  /** Whether {@code backup} encrypts its repository. */
  public static boolean encrypted(BackupSpec backup) {
    return backup.getEncryption() != null
        && Boolean.TRUE.equals(backup.getEncryption().getEnabled());
  }

  /** The repository path of {@code backup} for cluster {@code name} in {@code namespace}. */
  public static String repositoryPath(BackupSpec backup, String namespace, String name) {
    BackupDestination d = backup.getDestination();
    if (d != null && d.getPath() != null) {
      return d.getPath();
    }
    return "/pgbackrest/" + namespace + "/" + name;
  }

  static String compressType(Compression compression) {
    if (compression == null) {
      return "zst";
    }
    return switch (compression) {
      case zstd -> "zst";
      case lz4 -> "lz4";
      case gz -> "gz";
      case none -> "none";
    };
  }

  /** Environment of the PostgreSQL container: the secrets pgBackRest needs, as references. */
  public static List<EnvVar> env(PostgresCluster cluster) {
    List<EnvVar> env = new ArrayList<>();
    if (!enabled(cluster)) {
      return env;
    }
    String credentials = ClusterNames.credentialsSecret(cluster);
    // pgBackRest's connection to the local PostgreSQL (socket, password authentication). The
    // password is not PGPASSWORD in the container's environment: libpq prefers that to the pgpass
    // file Patroni writes, so every pg_basebackup Patroni runs to make a replica would log in as
    // replicator with the superuser's password. The operator's commands set it for pgbackrest only
    // (PGPASSWORD from PATRONI_SUPERUSER_PASSWORD, see RUN_WITH_PASSWORD).
    env.add(secret("PGBACKREST_PG1_USER", credentials, ClusterSecrets.USERNAME));
    BackupSpec backup = cluster.getSpec().getBackup();
    BackupDestination d = backup.getDestination();
    env.addAll(ObjectStore.env(d, "PGBACKREST_"));
    if (backup.getEncryption() != null
        && Boolean.TRUE.equals(backup.getEncryption().getEnabled())) {
      env.add(
          secret("PGBACKREST_REPO1_CIPHER_PASS", RepositoryCipher.secretName(cluster), PASSPHRASE));
    }
    return env;
  }

  /** The volume at {@code /etc/pgbackrest}: the config file, and the CA when there is one. */
  public static List<Volume> volumes(PostgresCluster cluster) {
    if (!enabled(cluster)) {
      return List.of();
    }
    VolumeBuilder volume =
        new VolumeBuilder()
            .withName(VOLUME)
            .withNewProjected()
            .addToSources(
                new VolumeProjectionBuilder()
                    .withNewConfigMap()
                    .withName(ClusterNames.patroniConfigMap(cluster))
                    .addNewItem()
                    .withKey(CONFIG_KEY)
                    .withPath(CONFIG_KEY)
                    .endItem()
                    .endConfigMap()
                    .build())
            .endProjected();
    if (PgBackRestServer.enabled(cluster)) {
      volume.editProjected().addToSources(PgBackRestServer.projection(cluster)).endProjected();
    }
    BackupDestination d = cluster.getSpec().getBackup().getDestination();
    List<Volume> volumes = new ArrayList<>();
    if (onVolume(cluster.getSpec().getBackup())) {
      volumes.add(
          new VolumeBuilder()
              .withName(REPO_VOLUME)
              .withNewPersistentVolumeClaim()
              .withClaimName(repositoryClaim(cluster))
              .endPersistentVolumeClaim()
              .build());
    }
    if (d != null && d.getCaSecret() != null) {
      volume
          .editProjected()
          .addToSources(
              new VolumeProjectionBuilder()
                  .withNewSecret()
                  .withName(d.getCaSecret())
                  .addNewItem()
                  .withKey("ca.crt")
                  .withPath("ca/ca.crt")
                  .endItem()
                  .endSecret()
                  .build())
          .endProjected();
    }
    volume.editProjected().addAllToSources(ObjectStore.keyFiles(d, "gcs/key.json")).endProjected();
    volumes.add(0, volume.build());
    return volumes;
  }

  public static List<VolumeMount> volumeMounts(PostgresCluster cluster) {
    if (!enabled(cluster)) {
      return List.of();
    }
    List<VolumeMount> mounts = new ArrayList<>();
    mounts.add(
        new VolumeMountBuilder()
            .withName(VOLUME)
            .withMountPath(CONFIG_DIR)
            .withReadOnly(true)
            .build());
    if (onVolume(cluster.getSpec().getBackup())) {
      mounts.add(new VolumeMountBuilder().withName(REPO_VOLUME).withMountPath(REPO_MOUNT).build());
    }
    return mounts;
  }

  /** PostgreSQL parameters for continuous archiving (through Patroni's configuration). */
  public static Map<String, String> archiveParameters(PostgresCluster cluster) {
    Map<String, String> params = new LinkedHashMap<>();
    if (!enabled(cluster)) {
      return params;
    }
    // Not "always": pgBackRest refuses to back up a cluster archiving from its standbys
    // ("archive_mode=always not supported").
    params.put("archive_mode", "on");
    params.put("archive_command", ARCHIVE_COMMAND);
    // A quiet primary still ships a WAL file at least this often: the RPO of the archive.
    params.put("archive_timeout", "60s");
    params.put("unix_socket_directories", SOCKET_DIR);
    return params;
  }

  static EnvVar secret(String name, String secret, String key) {
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
