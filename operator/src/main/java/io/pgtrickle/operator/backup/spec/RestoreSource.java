package io.pgtrickle.operator.backup.spec;

import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What a cluster with {@code spec.restore} is restored from: the source cluster's repository (its
 * {@code spec.backup}, path and stanza) and the point to recover to.
 *
 * @param clusterName the source PostgresCluster (same namespace)
 * @param backup the source's {@code spec.backup}: where its repository is, its keys and cipher
 * @param repositoryPath the source's repository path (its own stanza {@link PgBackRest#STANZA})
 * @param targetTime {@code spec.restore.targetTime} as PostgreSQL and pgBackRest read it ({@code
 *     2024-01-15 01:30:00+00}, UTC), or null for everything archived
 */
public record RestoreSource(
    String clusterName, BackupSpec backup, String repositoryPath, String targetTime) {

  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  /**
   * The source of {@code restored}: {@code source} must be a PostgresCluster with {@code
   * spec.backup} in the same namespace.
   */
  public static RestoreSource of(PostgresCluster restored, PostgresCluster source) {
    BackupSpec backup = source.getSpec().getBackup();
    return new RestoreSource(
        source.getMetadata().getName(),
        backup,
        PgBackRest.repositoryPath(
            backup, source.getMetadata().getNamespace(), source.getMetadata().getName()),
        targetTime(restored.getSpec().getRestore().getTargetTime()));
  }

  /** An RFC 3339 time (the CRD checks the form) as {@code yyyy-MM-dd HH:mm:ss[.SSSSSS]+00}. */
  public static String targetTime(String rfc3339) {
    if (rfc3339 == null) {
      return null;
    }
    OffsetDateTime utc =
        OffsetDateTime.parse(rfc3339.replace(' ', 'T').replace('t', 'T').replace('z', 'Z'))
            .withOffsetSameInstant(ZoneOffset.UTC);
    return (utc.getNano() == 0 ? SECONDS : MICROS).format(utc) + "+00";
  }
}
