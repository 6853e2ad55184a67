package io.pgtrickle.operator.postgres.spec;

import io.pgtrickle.operator.api.PostgresCluster;

/**
 * Which image runs a cluster's pods: {@code spec.image} when given, else the operator-wide
 * repository (environment variable {@code PG_TRICKLE_POSTGRES_IMAGE}) tagged with the major.
 */
public final class PostgresImages {

  public static final String DEFAULT_REPOSITORY = "ghcr.io/pg-trickle/postgres";
  public static final String REPOSITORY_ENV = "PG_TRICKLE_POSTGRES_IMAGE";

  private static final String OPERATOR_REPOSITORY =
      System.getenv().getOrDefault(REPOSITORY_ENV, DEFAULT_REPOSITORY);

  private PostgresImages() {}

  public static String forCluster(PostgresCluster cluster) {
    return forCluster(cluster, OPERATOR_REPOSITORY);
  }

  static String forCluster(PostgresCluster cluster, String repository) {
    String image = cluster.getSpec().getImage();
    if (image != null && !image.isBlank()) {
      return image;
    }
    return repository + ":" + cluster.getSpec().majorVersion();
  }
}
