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
}
