package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.naming.DerivedName;
import org.junit.jupiter.api.Test;

/** The longest cluster name follows from the names derived from it, and only from them. */
class ClusterNamesTest {

  @Test
  void theMaximumIsWhatTheLongestDerivedNameAllows() {
    assertThat(ClusterNames.MAX_NAME_LENGTH)
        .as("lower MAX_NAME_LENGTH when a derived name needs it (the CRD rule follows)")
        .isEqualTo(DerivedName.maxBaseLength(ClusterNames.DERIVED));
    assertThat(DerivedName.binding(ClusterNames.DERIVED).what()).contains("backup CronJob");
  }

  @Test
  void aNameOfTheMaximumLengthFitsEverywhereAndOneMoreDoesNot() {
    String longest = "a".repeat(ClusterNames.MAX_NAME_LENGTH);
    assertThat(ClusterNames.DERIVED).allMatch(d -> d.fits(longest));
    assertThat(ClusterNames.DERIVED).anyMatch(d -> !d.fits(longest + "b"));
  }

  @Test
  void theStatefulSetsRevisionLabelAloneWouldAllow52() {
    // The case of issue #18: 53 characters made the revision label 64 long.
    DerivedName revision =
        ClusterNames.DERIVED.stream()
            .filter(d -> d.what().contains("controller-revision-hash"))
            .findFirst()
            .orElseThrow();
    assertThat(revision.maxBaseLength()).isEqualTo(52);
  }

  @Test
  void theRulesCarryTheLimit() {
    assertThat(ClusterNames.NAME_LENGTH_RULE).isEqualTo("size(self.metadata.name) <= 40");
    assertThat(ClusterNames.NAME_LENGTH_MESSAGE).contains("at most 40 characters", "52");
  }
}
