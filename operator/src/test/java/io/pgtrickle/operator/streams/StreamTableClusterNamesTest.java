package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.naming.DerivedName;
import org.junit.jupiter.api.Test;

/** The limit the StreamTableCluster CRD will carry, computed from its children's names. */
class StreamTableClusterNamesTest {

  @Test
  void theMaximumIsWhatTheCdcRevisionLabelAllows() {
    assertThat(StreamTableClusterNames.MAX_NAME_LENGTH)
        .isEqualTo(DerivedName.maxBaseLength(StreamTableClusterNames.DERIVED))
        .isEqualTo(48);
    assertThat(DerivedName.binding(StreamTableClusterNames.DERIVED).what())
        .contains("controller-revision-hash");
  }

  @Test
  void aNameOfTheMaximumLengthFitsEverywhereAndOneMoreDoesNot() {
    String longest = "s".repeat(StreamTableClusterNames.MAX_NAME_LENGTH);
    assertThat(StreamTableClusterNames.DERIVED).allMatch(d -> d.fits(longest));
    assertThat(StreamTableClusterNames.DERIVED).anyMatch(d -> !d.fits(longest + "t"));
  }

  @Test
  void childrenAreNamedAsDesignMdSays() {
    assertThat(StreamTableClusterNames.cdcStatefulSet("orders")).isEqualTo("orders-cdc");
    assertThat(StreamTableClusterNames.workerDeployment("orders")).isEqualTo("orders-worker");
    assertThat(StreamTableClusterNames.workerAutoscaler("orders")).isEqualTo("orders-worker");
    assertThat(StreamTableClusterNames.NAME_LENGTH_RULE)
        .isEqualTo("size(self.metadata.name) <= 48");
  }
}
