package io.pgtrickle.operator.backup.spec;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import io.pgtrickle.operator.spec.RestrictedSecurity;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pgBackRest's TLS server in every member of a cluster with {@code spec.backup}: the backup Jobs
 * ({@link BackupJob}) reach the database through it. {@code spec.backup.backupFromReplica}:
 * pgBackRest's backup from a standby ({@code backup-standby=y}) needs the primary (pg1 or pg2) and
 * a streaming replica, each reachable from where the backup runs (the standby's files are read, so
 * the primary's disk is spared). Every member runs the server as the sidecar {@value #CONTAINER}
 * (port {@value #PORT}, mutual TLS with the cluster's own CA in the Secret {@code
 * NAME-pgbackrest-tls}, client name {@value #CLIENT_CN} authorised for the stanza only). Pure: no
 * client calls.
 */
public final class PgBackRestServer {

  public static final String CONTAINER = "pgbackrest";
  public static final int PORT = 8432;

  /** The common name of the client certificate the servers accept (for the stanza only). */
  public static final String CLIENT_CN = "pgbackrest";

  public static final String TLS_DIR = PgBackRest.CONFIG_DIR + "/tls";
  public static final String CA = "ca.crt";
  public static final String CERT = "tls.crt";
  public static final String KEY = "tls.key";

  private PgBackRestServer() {}

  /**
   * Whether the members run the servers: whenever the cluster has {@code spec.backup}, since every
   * backup Job reads the database through them ({@link BackupJob}).
   */
  public static boolean enabled(PostgresCluster cluster) {
    return cluster.getSpec().getBackup() != null;
  }

  /** Whether the cluster backs up from a streaming replica ({@code backupFromReplica}). */
  public static boolean fromReplica(PostgresCluster cluster) {
    return cluster.getSpec().getBackup() != null
        && Boolean.TRUE.equals(cluster.getSpec().getBackup().getBackupFromReplica());
  }

  /** The Secret holding the CA, and the one certificate every member serves and presents. */
  public static String secretName(PostgresCluster cluster) {
    return cluster.getMetadata().getName() + "-pgbackrest-tls";
  }

  /**
   * The names the certificate carries: the client name first (its common name), then every member's
   * host name ({@code POD.NAME-pods.NAMESPACE.svc}, as a wildcard, and fully qualified).
   */
  public static List<String> dnsNames(PostgresCluster cluster) {
    String members = ClusterTls.memberHost(cluster, "*");
    return List.of(CLIENT_CN, members, members + "." + ClusterTls.CLUSTER_DOMAIN);
  }

  /** {@code NAME-pgbackrest-tls}: ca.crt, tls.crt, tls.key (the CA's key is not kept). */
  public static Secret secret(
      PostgresCluster cluster, String caPem, CertificateAuthority.Issued issued) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CA, base64(caPem));
    data.put(CERT, base64(issued.certificatePem()));
    data.put(KEY, base64(issued.privateKeyPem()));
    return new SecretBuilder()
        .withMetadata(
            new ObjectMetaBuilder()
                .withName(secretName(cluster))
                .withNamespace(cluster.getMetadata().getNamespace())
                .withLabels(ClusterNames.labels(cluster, "backup"))
                .withOwnerReferences(
                    new OwnerReferenceBuilder()
                        .withApiVersion(cluster.getApiVersion())
                        .withKind(cluster.getKind())
                        .withName(cluster.getMetadata().getName())
                        .withUid(cluster.getMetadata().getUid())
                        .withController(true)
                        .withBlockOwnerDeletion(true)
                        .build())
                .build())
        .withData(data)
        .build();
  }

  /**
   * The Secret's files under {@code /etc/pgbackrest/tls}, mode 0640 (root and the pod's group, as
   * the kubelet writes them with fsGroup): pgBackRest refuses a key with more permissions.
   */
  public static VolumeProjection projection(PostgresCluster cluster) {
    var secret = new VolumeProjectionBuilder().withNewSecret().withName(secretName(cluster));
    for (String key : List.of(CA, CERT, KEY)) {
      secret.addNewItem().withKey(key).withPath("tls/" + key).withMode(0640).endItem();
    }
    return secret.endSecret().build();
  }

  /** {@code [global]} lines of pgbackrest.conf for the server command (ignored by the others). */
  public static Map<String, String> serverOptions() {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("tls-server-ca-file", TLS_DIR + "/" + CA);
    options.put("tls-server-cert-file", TLS_DIR + "/" + CERT);
    options.put("tls-server-key-file", TLS_DIR + "/" + KEY);
    options.put("tls-server-auth", CLIENT_CN + "=" + PgBackRest.STANZA);
    options.put("tls-server-port", String.valueOf(PORT));
    return options;
  }

  /**
   * The sidecar: {@code pgbackrest server} on the pod's IP, with the data directory, the socket
   * directory, configuration and pgBackRest environment of the PostgreSQL container, and the
   * superuser's password for its connection to the local PostgreSQL (as {@code secretKeyRef}s; only
   * this container has {@code PGPASSWORD}).
   */
  public static Container sidecar(PostgresCluster cluster, String image) {
    String credentials = ClusterNames.credentialsSecret(cluster);
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(image)
        .withImagePullPolicy("IfNotPresent")
        .withCommand("pgbackrest")
        .withArgs("server")
        .addToEnv(
            new EnvVarBuilder()
                .withName("PGBACKREST_TLS_SERVER_ADDRESS")
                .withNewValueFrom()
                .withNewFieldRef()
                .withFieldPath("status.podIP")
                .endFieldRef()
                .endValueFrom()
                .build(),
            PgBackRest.secret("PGPASSWORD", credentials, ClusterSecrets.PASSWORD))
        // The remote it starts checks the repository options of the command it serves: the same
        // pgBackRest environment as the PostgreSQL container (the local user, the object store's
        // keys, the cipher passphrase; all secret references).
        .addAllToEnv(PgBackRest.env(cluster))
        .addNewPort()
        .withName(CONTAINER)
        .withContainerPort(PORT)
        .withProtocol("TCP")
        .endPort()
        // Liveness, not readiness: a pod is ready only when all its containers are, and a backup
        // server that is down must not take its member out of NAME-primary and NAME-pooler (the
        // backup Job waits for it, BackupScript). One that stops listening is restarted.
        .withNewLivenessProbe()
        .withNewTcpSocket()
        .withNewPort(CONTAINER)
        .endTcpSocket()
        .withPeriodSeconds(10)
        .withFailureThreshold(3)
        .endLivenessProbe()
        .withNewResources()
        .addToRequests("cpu", new Quantity("10m"))
        .addToRequests("memory", new Quantity("32Mi"))
        .addToLimits("memory", new Quantity("256Mi"))
        .endResources()
        .withSecurityContext(RestrictedSecurity.container())
        .addNewVolumeMount()
        .withName("data")
        .withMountPath("/var/lib/postgresql/data")
        .endVolumeMount()
        .addNewVolumeMount()
        .withName("tmp")
        .withMountPath("/tmp")
        .endVolumeMount()
        .addNewVolumeMount()
        .withName("run")
        .withMountPath(PgBackRest.SOCKET_DIR)
        .endVolumeMount()
        .addAllToVolumeMounts(PgBackRest.volumeMounts(cluster))
        .build();
  }

  /** The name by which the other members reach {@code pod}'s TLS server (its member name). */
  public static String host(PostgresCluster cluster, String pod) {
    return ClusterTls.memberHost(cluster, pod);
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
