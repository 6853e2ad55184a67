package io.pgtrickle.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The field descriptions of the model reach users through {@code kubectl explain}. */
class KubectlExplainIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  @Test
  void explainsVersion() {
    TestBed.Result result = NAMESPACE.testBed().kubectl("explain", "postgrescluster.spec.version");
    assertThat(result.ok()).as(result.output()).isTrue();
    assertThat(result.output())
        .contains("PostgreSQL major version: one of 14, 15, 16, 17, 18")
        .contains("KIND:")
        .contains("PostgresCluster");
  }

  @Test
  void explainsStatusPhase() {
    TestBed.Result result = NAMESPACE.testBed().kubectl("explain", "pgc.status.phase");
    assertThat(result.ok()).as(result.output()).isTrue();
    assertThat(result.output()).contains("Lifecycle phase");
  }
}
