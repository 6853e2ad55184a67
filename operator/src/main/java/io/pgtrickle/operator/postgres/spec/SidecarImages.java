package io.pgtrickle.operator.postgres.spec;

/**
 * Images of the sidecars, operator-wide (environment variables), built from {@code images/}: Debian
 * bookworm's pgbouncer and prometheus-postgres-exporter packages, the same programs the test bed
 * runs.
 */
public final class SidecarImages {

  public static final String PGBOUNCER_ENV = "PG_TRICKLE_PGBOUNCER_IMAGE";
  public static final String EXPORTER_ENV = "PG_TRICKLE_EXPORTER_IMAGE";
  public static final String DEFAULT_PGBOUNCER = "ghcr.io/pg-trickle/pgbouncer:1.18";
  public static final String DEFAULT_EXPORTER = "ghcr.io/pg-trickle/postgres-exporter:0.11";

  private SidecarImages() {}

  static String pgbouncer() {
    return System.getenv().getOrDefault(PGBOUNCER_ENV, DEFAULT_PGBOUNCER);
  }

  static String exporter() {
    return System.getenv().getOrDefault(EXPORTER_ENV, DEFAULT_EXPORTER);
  }
}
