package io.pgtrickle.operator.backup.spec;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import io.pgtrickle.operator.api.BackupDestination;
import io.pgtrickle.operator.api.DestinationType;
import io.pgtrickle.operator.api.GcsKeyType;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The object store of a repository ({@code destination.type} S3, GCS or Azure) as pgBackRest sees
 * it: the {@code repo1-*} options of pgbackrest.conf (no secret among them), the secrets as
 * environment references ({@code PREFIX + "REPO1_S3_KEY"} and so on, from the credentials Secret),
 * and the GCS service account key file projected from that Secret. Pure: no client calls.
 *
 * <p>Credentials Secret keys: S3 {@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}; Azure
 * {@code AZURE_STORAGE_ACCOUNT}, {@code AZURE_STORAGE_KEY} (the shared key); GCS {@code key.json}
 * (a service account key, {@code gcsKeyType} service, the default) or {@code token} (an OAuth 2
 * access token, {@code gcsKeyType} token).
 */
public final class ObjectStore {

  public static final String AWS_ACCESS_KEY = "AWS_ACCESS_KEY_ID";
  public static final String AWS_SECRET_KEY = "AWS_SECRET_ACCESS_KEY";
  public static final String AZURE_ACCOUNT = "AZURE_STORAGE_ACCOUNT";
  public static final String AZURE_KEY = "AZURE_STORAGE_KEY";
  public static final String GCS_KEY_FILE = "key.json";
  public static final String GCS_TOKEN = "token";

  private ObjectStore() {}

  /** Whether {@code d} is an object store (S3, GCS or Azure) rather than a volume. */
  public static boolean isObjectStore(BackupDestination d) {
    return d != null && d.getType() != null && d.getType() != DestinationType.PVC;
  }

  /**
   * The {@code repo1-*} options of the store.
   *
   * @param caFile where the endpoint's private CA ({@code caSecret}) is mounted
   * @param gcsKeyFile where the GCS service account key ({@code key.json}) is mounted
   * @return the options in file order; empty for a volume repository
   */
  public static Map<String, String> options(BackupDestination d, String caFile, String gcsKeyFile) {
    Map<String, String> o = new LinkedHashMap<>();
    if (!isObjectStore(d)) {
      return o;
    }
    URI endpoint = endpoint(d);
    switch (d.getType()) {
      case S3 -> {
        o.put("repo1-type", "s3");
        o.put("repo1-s3-bucket", d.getBucket());
        o.put("repo1-s3-region", d.getRegion());
        if (endpoint != null) {
          o.put("repo1-s3-endpoint", endpoint.getHost());
          port(endpoint, o);
          // S3-compatible servers: the bucket in the path, not in the host name.
          o.put("repo1-s3-uri-style", "path");
        } else {
          o.put("repo1-s3-endpoint", "s3." + d.getRegion() + ".amazonaws.com");
        }
      }
      case GCS -> {
        o.put("repo1-type", "gcs");
        o.put("repo1-gcs-bucket", d.getBucket());
        if (endpoint != null) {
          // pgBackRest takes the GCS endpoint as host[:port].
          o.put(
              "repo1-gcs-endpoint",
              endpoint.getHost() + (endpoint.getPort() > 0 ? ":" + endpoint.getPort() : ""));
        }
        if (gcsKeyType(d) == GcsKeyType.token) {
          // The token itself comes from the environment (PGBACKREST_REPO1_GCS_KEY).
          o.put("repo1-gcs-key-type", "token");
        } else {
          o.put("repo1-gcs-key-type", "service");
          o.put("repo1-gcs-key", gcsKeyFile);
        }
      }
      case Azure -> {
        // Account and key come from the environment (PGBACKREST_REPO1_AZURE_ACCOUNT, _KEY).
        o.put("repo1-type", "azure");
        o.put("repo1-azure-container", d.getBucket());
        if (endpoint != null) {
          o.put("repo1-azure-endpoint", endpoint.getHost());
          port(endpoint, o);
          // Emulators and private endpoints: the account in the path, not in the host name.
          o.put("repo1-azure-uri-style", "path");
        }
      }
      default -> throw new IllegalStateException("not an object store: " + d.getType());
    }
    if (d.getCaSecret() != null) {
      o.put("repo1-storage-ca-file", caFile);
    }
    return o;
  }

  /**
   * The store's secrets as environment references, {@code prefix} + the pgBackRest option's
   * environment suffix: with prefix {@code PGBACKREST_} the names pgBackRest reads itself ({@code
   * PGBACKREST_REPO1_S3_KEY}, {@code PGBACKREST_REPO1_AZURE_KEY}, ...).
   */
  public static List<EnvVar> env(BackupDestination d, String prefix) {
    List<EnvVar> env = new ArrayList<>();
    if (!isObjectStore(d) || d.getCredentialsSecret() == null) {
      return env;
    }
    String secret = d.getCredentialsSecret();
    switch (d.getType()) {
      case S3 -> {
        env.add(PgBackRest.secret(prefix + "REPO1_S3_KEY", secret, AWS_ACCESS_KEY));
        env.add(PgBackRest.secret(prefix + "REPO1_S3_KEY_SECRET", secret, AWS_SECRET_KEY));
      }
      case Azure -> {
        env.add(PgBackRest.secret(prefix + "REPO1_AZURE_ACCOUNT", secret, AZURE_ACCOUNT));
        env.add(PgBackRest.secret(prefix + "REPO1_AZURE_KEY", secret, AZURE_KEY));
      }
      case GCS -> {
        if (gcsKeyType(d) == GcsKeyType.token) {
          env.add(PgBackRest.secret(prefix + "REPO1_GCS_KEY", secret, GCS_TOKEN));
        }
      }
      default -> throw new IllegalStateException("not an object store: " + d.getType());
    }
    return env;
  }

  /**
   * The GCS service account key ({@code key.json} of the credentials Secret) at {@code path}
   * (relative to {@code /etc/pgbackrest}), or none for other stores and token authentication.
   */
  public static List<VolumeProjection> keyFiles(BackupDestination d, String path) {
    if (!isObjectStore(d)
        || d.getType() != DestinationType.GCS
        || gcsKeyType(d) != GcsKeyType.service
        || d.getCredentialsSecret() == null) {
      return List.of();
    }
    return List.of(
        new VolumeProjectionBuilder()
            .withNewSecret()
            .withName(d.getCredentialsSecret())
            .addNewItem()
            .withKey(GCS_KEY_FILE)
            .withPath(path)
            .endItem()
            .endSecret()
            .build());
  }

  /**
   * The repository as status messages name it: {@code S3 bucket B at ENDPOINT, path P} (no
   * endpoint: the store's default), or {@code volume, path P} for a volume repository.
   *
   * @param d the destination, null for the default volume
   * @param path the repository path ({@link PgBackRest#repositoryPath})
   */
  public static String describe(BackupDestination d, String path) {
    if (!isObjectStore(d)) {
      return "volume, path " + path;
    }
    return d.getType()
        + " bucket "
        + d.getBucket()
        + (d.getEndpoint() == null ? "" : " at " + d.getEndpoint())
        + ", path "
        + path;
  }

  static GcsKeyType gcsKeyType(BackupDestination d) {
    return d.getGcsKeyType() == null ? GcsKeyType.service : d.getGcsKeyType();
  }

  private static URI endpoint(BackupDestination d) {
    if (d.getEndpoint() == null) {
      return null;
    }
    return URI.create(
        d.getEndpoint().contains("://") ? d.getEndpoint() : "https://" + d.getEndpoint());
  }

  private static void port(URI endpoint, Map<String, String> o) {
    if (endpoint.getPort() > 0) {
      o.put("repo1-storage-port", String.valueOf(endpoint.getPort()));
    }
  }
}
