package io.pgtrickle.operator.backup.spec;

import io.pgtrickle.operator.api.BackupDestination;
import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.api.DestinationType;
import io.pgtrickle.operator.api.PostgresCluster;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which pgBackRest repository a cluster's {@code spec.backup} writes to, spelled one way: two
 * clusters whose identities are equal archive WAL and timeline history files into one archive,
 * which mixes their timelines (a restore of one returns the other's rows). Pure.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>{@code type}: PVC (also when absent), S3, GCS or Azure.
 *   <li>{@code volume} (PVC only): {@code NAMESPACE/NAME-pgbackrest-repo}, the cluster's own claim
 *       ({@link PgBackRest#repositoryClaim}); a claim binds one volume, so two clusters' volume
 *       repositories are never one (a restored cluster mounts its source's claim read-only, beside
 *       its own, and archives only to its own).
 *   <li>{@code bucket} (object stores): the bucket (S3, GCS) or container (Azure) as written (the
 *       CRD allows lowercase names only).
 *   <li>{@code endpoint} (object stores): {@code scheme://host:port}, scheme and host lower-cased,
 *       {@code https://} when the scheme is left out (as {@link ObjectStore} reads it), the default
 *       port explicit (443 for https, 80 for http), trailing slashes dropped. Absent: the
 *       provider's own, {@code https://s3.amazonaws.com:443} (S3; AWS endpoints {@code
 *       s3[.-]REGION.amazonaws.com} spell the same, bucket names being global on AWS), {@code
 *       https://storage.googleapis.com:443} (GCS), {@code https://blob.core.windows.net:443}
 *       (Azure). The Azure storage account comes from the credentials Secret, which the operator
 *       does not read: one container, endpoint and path count as one repository whatever the
 *       account (the safe side: a path of its own resolves it).
 *   <li>{@code path}: {@code destination.path} or {@code /pgbackrest/NAMESPACE/NAME}, with runs of
 *       {@code /} collapsed, {@code .} segments and a trailing {@code /} dropped ({@code ..} is
 *       refused by the CRD): {@code //pgbackrest/./t7/my-cluster/} is {@code
 *       /pgbackrest/t7/my-cluster}.
 * </ul>
 *
 * @param type the destination type
 * @param volume the repository claim (PVC), else null
 * @param endpoint the normalized endpoint (object stores), else null
 * @param bucket the bucket or container (object stores), else null
 * @param path the normalized path inside the volume or bucket
 */
public record RepositoryIdentity(
    DestinationType type, String volume, String endpoint, String bucket, String path) {

  /** AWS's own S3 endpoints: global, regional ({@code s3.eu-west-1.}, legacy {@code s3-}). */
  private static final Pattern AWS_S3 = Pattern.compile("s3([.-][a-z0-9-]+)?\\.amazonaws\\.com");

  /** The identity of {@code backup}'s repository for cluster {@code name} in {@code namespace}. */
  public static RepositoryIdentity of(BackupSpec backup, String namespace, String name) {
    String path = normalizedPath(PgBackRest.repositoryPath(backup, namespace, name));
    if (PgBackRest.onVolume(backup)) {
      return new RepositoryIdentity(
          DestinationType.PVC,
          namespace + "/" + PgBackRest.repositoryClaim(name),
          null,
          null,
          path);
    }
    BackupDestination d = backup.getDestination();
    return new RepositoryIdentity(
        d.getType(), null, normalizedEndpoint(d.getType(), d.getEndpoint()), d.getBucket(), path);
  }

  /** The identity of {@code cluster}'s own repository ({@code spec.backup} must be set). */
  public static RepositoryIdentity of(PostgresCluster cluster) {
    return of(
        cluster.getSpec().getBackup(),
        cluster.getMetadata().getNamespace(),
        cluster.getMetadata().getName());
  }

  /**
   * {@code path} with runs of {@code /} collapsed and {@code .} segments and a trailing {@code /}
   * dropped; {@code /} stays {@code /}.
   */
  public static String normalizedPath(String path) {
    List<String> segments = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty() && !s.equals(".")) {
        segments.add(s);
      }
    }
    return "/" + String.join("/", segments);
  }

  /**
   * {@code endpoint} as {@code scheme://host:port} (see the class comment), or the provider's own
   * endpoint of {@code type} when it is null or blank.
   */
  public static String normalizedEndpoint(DestinationType type, String endpoint) {
    if (endpoint == null || endpoint.isBlank()) {
      return switch (type) {
        case S3 -> "https://s3.amazonaws.com:443";
        case GCS -> "https://storage.googleapis.com:443";
        case Azure -> "https://blob.core.windows.net:443";
        default -> null;
      };
    }
    String spelled = endpoint.strip();
    URI uri = URI.create(spelled.contains("://") ? spelled : "https://" + spelled);
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    while (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (type == DestinationType.S3 && AWS_S3.matcher(host).matches()) {
      host = "s3.amazonaws.com";
    }
    int port = uri.getPort() > 0 ? uri.getPort() : "http".equals(scheme) ? 80 : 443;
    String rest = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
    return scheme + "://" + host + ":" + port + rest;
  }

  /** How a message names the repository: {@code S3 bucket b at https://h:443, path /p}. */
  public String describe() {
    return type == DestinationType.PVC
        ? "the volume " + volume + ", path " + path
        : type
            + (type == DestinationType.Azure ? " container " : " bucket ")
            + bucket
            + " at "
            + endpoint
            + ", path "
            + path;
  }

  /**
   * The cluster among {@code others} whose repository is {@code cluster}'s and that keeps it: the
   * oldest by {@code metadata.creationTimestamp}, then namespace, then name, when {@code cluster}
   * is not itself older than all of them. Empty when {@code cluster} has no {@code spec.backup},
   * shares its repository with none, or is the one that keeps it. {@code others} may hold {@code
   * cluster} itself (matched by namespace and name) and clusters without {@code spec.backup}.
   */
  public static Optional<PostgresCluster> keptBy(
      PostgresCluster cluster, Collection<PostgresCluster> others) {
    if (cluster.getSpec() == null || cluster.getSpec().getBackup() == null) {
      return Optional.empty();
    }
    RepositoryIdentity own = of(cluster);
    Optional<PostgresCluster> oldest =
        others.stream()
            .filter(o -> !key(o).equals(key(cluster)))
            .filter(o -> o.getSpec() != null && o.getSpec().getBackup() != null)
            .filter(o -> of(o).equals(own))
            .min(AGE);
    return oldest.filter(o -> AGE.compare(o, cluster) < 0);
  }

  /** Oldest first: creationTimestamp (RFC 3339 UTC, so text order; absent last), ns, name. */
  static final Comparator<PostgresCluster> AGE =
      Comparator.comparing(
              (PostgresCluster c) -> c.getMetadata().getCreationTimestamp(),
              Comparator.nullsLast(Comparator.<String>naturalOrder()))
          .thenComparing(RepositoryIdentity::key);

  private static String key(PostgresCluster c) {
    return c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
  }
}
