package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterValidation.Problem;
import io.pgtrickle.operator.postgres.spec.Clusters;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterValidationTest {

  private static Problem problemWith(Map<String, String> params) {
    PostgresCluster cluster = Clusters.basic(1);
    cluster.getSpec().setPostgresqlParams(params);
    return ClusterValidation.ofSpec(cluster).orElse(null);
  }

  @Test
  void goodParametersAreNoProblem() {
    assertThat(problemWith(Map.of("shared_buffers", "1GB", "pg_trickle.enabled", "on"))).isNull();
    assertThat(problemWith(null)).isNull();
  }

  @Test
  void aTypoFailsWithADidYouMean() {
    assertThat(problemWith(Map.of("shared_bufers", "1GB")))
        .isEqualTo(
            new Problem(
                "ParameterUnknown",
                "spec.postgresqlParams: shared_bufers is not a parameter of PostgreSQL 16;"
                    + " did you mean shared_buffers?",
                false));
  }

  @Test
  void aBadValueFailsWithWhatIsAllowed() {
    Problem problem = problemWith(Map.of("max_connections", "lots"));
    assertThat(problem.reason()).isEqualTo("ParameterInvalid");
    assertThat(problem.message())
        .startsWith("spec.postgresqlParams.max_connections: \"lots\" is not an integer");
    assertThat(problem.mayResolveItself()).isFalse();
  }

  @Test
  void theMajorOfTheClusterDecides() {
    PostgresCluster cluster = Clusters.basic(1);
    cluster.getSpec().setVersion(new IntOrString(17));
    cluster.getSpec().setPostgresqlParams(Map.of("io_method", "worker"));
    assertThat(ClusterValidation.ofSpec(cluster).orElseThrow().message())
        .contains("io_method is not a parameter of PostgreSQL 17");
    cluster.getSpec().setVersion(new IntOrString("18"));
    assertThat(ClusterValidation.ofSpec(cluster)).isEmpty();
  }

  @Test
  void ownedNamesComeFirstThenEveryOtherProblemSorted() {
    Problem problem =
        problemWith(
            Map.of("port", "5433", "wal_level", "bogus", "shared_bufers", "1GB", "jit", "maybe"));
    assertThat(problem.reason()).isEqualTo("ParameterNotAllowed");
    assertThat(problem.message())
        .startsWith(
            "spec.postgresqlParams: port is managed by the operator and Patroni and cannot be set;"
                + " remove it; spec.postgresqlParams.jit: \"maybe\" is not a boolean")
        .containsSubsequence("jit", "shared_bufers is not a parameter", "wal_level: \"bogus\"");
    assertThat(problemWith(Map.of("wal_level", "bogus", "shared_bufers", "1GB")).reason())
        .isEqualTo("ParameterUnknown");
    assertThat(problemWith(Map.of("recovery_min_apply_delay", "5min")).message())
        .isEqualTo(
            "spec.postgresqlParams: recovery_min_apply_delay is managed by the operator and Patroni"
                + " and cannot be set; remove it");
  }

  /**
   * A targetTime stored before the CRD checked the calendar (or past a webhook-less edit) fails the
   * cluster with the reason, rather than an exception on every reconcile.
   */
  /** A memory limit of 1Mi was accepted; the members could never start. */
  @Test
  void memoryBelowTheFloorFailsNamingTheField() {
    PostgresCluster cluster = Clusters.withMemoryLimit("1Mi");
    Problem p = ClusterValidation.ofSpec(cluster).orElseThrow();
    assertThat(p.reason()).isEqualTo("ResourcesTooSmall");
    assertThat(p.message()).startsWith("spec.resources.limits.memory: 1Mi is below 128Mi");
    assertThat(ClusterValidation.ofSpec(Clusters.withMemoryLimit("128Mi"))).isEmpty();
    assertThat(ClusterValidation.ofSpec(Clusters.withMemoryLimit("4Gi"))).isEmpty();
  }

  @Test
  void aTargetTimeThatIsNoTimeFailsTheCluster() {
    PostgresCluster cluster = Clusters.basic(1);
    io.pgtrickle.operator.api.RestoreSpec restore = new io.pgtrickle.operator.api.RestoreSpec();
    restore.setBackupName("b");
    cluster.getSpec().setRestore(restore);
    assertThat(ClusterValidation.ofSpec(cluster)).isEmpty();
    restore.setTargetTime("2024-01-15 01:30:00.5+05:45");
    assertThat(ClusterValidation.ofSpec(cluster)).isEmpty();
    for (String bad :
        new String[] {"2024-02-30T01:00:00Z", "2024-01-15T01:30:00+23:59", "yesterday"}) {
      restore.setTargetTime(bad);
      assertThat(ClusterValidation.ofSpec(cluster))
          .as(bad)
          .contains(
              new Problem(
                  "TargetTimeInvalid",
                  "spec.restore.targetTime: \""
                      + bad
                      + "\" is no RFC 3339 time with a zone that exists, e.g."
                      + " 2024-01-15T01:30:00Z; it cannot change, so delete this cluster and"
                      + " create it with another targetTime",
                  false));
    }
  }
}
