package io.pgtrickle.worker.dvm.unit;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.dvm.RefreshCostModel;
import org.junit.jupiter.api.Test;

class RefreshCostModelTest {

  @Test
  void triesDifferentialFirst() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(100);
    assertThat(m.decide(1_000_000).full()).isFalse();
  }

  @Test
  void choosesFullWhenTheChangeWouldCostMoreThanARecompute() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(100);
    m.recordDifferential(1_000, 10); // 0.01 ms per change
    m.recordDifferential(1_000, 12);
    assertThat(m.decide(5_000).full()).isFalse();
    RefreshCostModel.Decision d = m.decide(20_000);
    assertThat(d.full()).isTrue();
    assertThat(d.reason()).contains("200.0 ms for 20000 changes").contains("100.0 ms");
    // The plan prefixes "AUTO chose FULL: "; the verdict is not repeated in the reason.
    assertThat(d.reason()).startsWith("predicted differential");
  }

  @Test
  void theFixedPartOfADifferentialRefreshIsNotScaledDown() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(8);
    m.recordDifferential(10, 10); // statements and plans, whatever the batch
    m.recordDifferential(10, 10);
    assertThat(m.decide(1).full()).isTrue(); // still 10 ms > 8 ms
    m.recordDifferential(1_000, 20);
    assertThat(m.decide(10).reason()).contains("10.0 ms for 10 changes");
    assertThat(m.decide(2_000).reason()).contains("40.0 ms for 2000 changes"); // min(10x200, 20x2)
  }

  @Test
  void aFirstPopulationCountsOnlyUntilARecomputeIsMeasured() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordInitialFull(10); // into an empty table
    m.recordDifferential(100, 20);
    m.recordDifferential(100, 20);
    assertThat(m.decide(100).full()).isTrue();
    m.recordFull(50); // a recompute of the populated table
    assertThat(m.decide(100).full()).isFalse();
    m.recordInitialFull(1); // ignored now
    assertThat(m.decide(100).full()).isFalse();
  }

  @Test
  void aSlowOutlierDoesNotFlipTheChoice() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(100);
    m.recordDifferential(1_000, 10);
    m.recordDifferential(1_000, 500); // a busy machine
    assertThat(m.decide(5_000).full()).isFalse();
  }

  @Test
  void stateRoundTrips() {
    RefreshCostModel m = new RefreshCostModel();
    for (int i = 1; i <= 6; i++) {
      m.recordFull(i * 10);
      m.recordDifferential(100, i);
    }
    RefreshCostModel copy = new RefreshCostModel(m.state());
    assertThat(copy.state().full()).containsExactly(30, 40, 50, 60);
    assertThat(copy.state().differentialMs()).containsExactly(3, 4, 5, 6);
    assertThat(copy.decide(10_000).reason()).isEqualTo(m.decide(10_000).reason());
  }

  @Test
  void measuresDifferentialAgainAfterARunOfFullRefreshes() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(1);
    m.recordDifferential(100, 50); // a cold first run
    m.recordDifferential(100, 40); // and a second
    int full = 0;
    for (int i = 0; i < 8; i++) {
      full += m.decide(100).full() ? 1 : 0;
    }
    assertThat(full).isEqualTo(8);
    RefreshCostModel.Decision again = m.decide(100);
    assertThat(again.full()).isFalse();
    assertThat(again.reason()).contains("measured again");
  }

  @Test
  void aSingleDifferentialMeasurementIsRepeatedBeforeItIsCompared() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(100);
    m.recordDifferential(10_000, 1_200); // one measurement, on a busy machine (or a cold plan)
    RefreshCostModel.Decision again = m.decide(10_000);
    assertThat(again.full()).isFalse();
    assertThat(again.reason())
        .contains("measuring it again (1 measurement so far: 1200.0 ms for 10000 changes)");
    m.recordDifferential(10_000, 90); // the real cost
    assertThat(m.decide(10_000).full()).isFalse();
    RefreshCostModel slow = new RefreshCostModel();
    slow.recordFull(100);
    slow.recordDifferential(10_000, 1_200);
    slow.recordDifferential(10_000, 900); // slow again: two measurements say so
    for (int i = 0; i < 8; i++) {
      assertThat(slow.decide(10_000).full()).isTrue();
    }
    assertThat(slow.decide(10_000).reason()).contains("measured again after 8 full refreshes");
  }

  @Test
  void aLargeBatchIsRecomputedWhileOnlyOneDifferentialIsMeasured() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(100);
    m.recordDifferential(1_000, 10);
    RefreshCostModel.Decision d = m.decide(60_000, 100_000);
    assertThat(d.full()).isTrue();
    assertThat(d.reason()).contains("differential not measured yet");
  }

  @Test
  void aClearlyLargeBatchIsRecomputedBeforeAnythingIsMeasured() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordInitialFull(100);
    RefreshCostModel.Decision d = m.decide(60_000, 100_000);
    assertThat(d.full()).isTrue();
    assertThat(d.reason())
        .contains("60000 changes are 60% of the sources' estimated 100000 rows")
        .contains("differential not measured yet");
    assertThat(m.decide(40_000, 100_000).full()).as("below half: measured first").isFalse();
    assertThat(m.decide(60_000, -1).full()).as("size unknown").isFalse();
  }

  @Test
  void onceBothCostsAreMeasuredTheyDecideWhateverTheFraction() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(1_000);
    m.recordDifferential(60_000, 100); // cheap even at 60%
    m.recordDifferential(60_000, 110);
    assertThat(m.decide(60_000, 100_000).full()).isFalse();
    m.recordDifferential(1_000, 50);
    m.recordFull(10);
    assertThat(m.decide(10_000, 1_000_000).full()).as("10 ms full vs 100+ ms").isTrue();
  }

  @Test
  void aSlowFirstPopulationIsCheckedByOneRecomputeWhenTheDifferentialComesClose() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordInitialFull(400); // cold
    m.recordDifferential(10_000, 300);
    m.recordDifferential(10_000, 320);
    for (int i = 0; i < 8; i++) {
      // at most 400/300 slower than a recompute meanwhile: measured with the explorations' pace
      assertThat(m.decide(10_000).full()).isFalse();
    }
    RefreshCostModel.Decision d = m.decide(10_000);
    assertThat(d.full()).isTrue();
    assertThat(d.reason()).contains("measuring a recompute of the populated table");
    m.recordFull(150); // the real cost
    m.recordDifferential(10_000, 310); // measured twice
    assertThat(m.decide(10_000).full()).isTrue();
    assertThat(m.decide(10_000).reason()).contains("> measured full 150.0 ms");
  }

  @Test
  void aWorkerThatNeverRecomputedDecidesFromAnotherWorkersMeasurements() {
    RefreshCostModel populator = new RefreshCostModel();
    populator.recordInitialFull(40);
    populator.recordFull(10);
    populator.recordDifferential(5_000, 120);
    populator.recordDifferential(4_000, 110); // two: one alone is checked again after one full
    assertThat(populator.decide(5_000).full()).isTrue();
    RefreshCostModel other = new RefreshCostModel(); // another worker: no recompute of its own
    other.recordDifferential(5_000, 120);
    assertThat(other.decide(5_000).full()).isFalse(); // alone, it would never learn the full cost
    assertThat(other.restore(populator.toJson())).isTrue();
    RefreshCostModel.Decision d = other.decide(5_000);
    assertThat(d.full()).isTrue();
    assertThat(d.reason()).contains("> measured full 10.0 ms");
  }

  @Test
  void theSharedMemoryRoundTripsWithItsExplorationCounter() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(10);
    m.recordDifferential(5_000, 120);
    m.recordDifferential(4_000, 110);
    for (int i = 0; i < 8; i++) {
      assertThat(m.decide(5_000).full()).isTrue();
    }
    m.recordRecomputeRows(500); // which way the next recompute goes, shared too
    RefreshCostModel copy = new RefreshCostModel();
    copy.restore(m.toJson());
    assertThat(copy.toJson()).isEqualTo(m.toJson());
    assertThat(copy.lastRecomputeRows()).isEqualTo(500);
    assertThat(copy.decide(5_000).reason()).contains("measured again after 8 full refreshes");
  }

  @Test
  void nothingStoredEmptiesTheMemoryAndSomethingElseKeepsIt() {
    RefreshCostModel m = new RefreshCostModel();
    m.recordFull(10);
    String before = m.toJson();
    assertThat(m.restore("{\"full\": \"x\"}")).isFalse();
    assertThat(m.restore("{\"full\": [1], \"differential\": [[1]]}")).isFalse();
    assertThat(m.restore("not json")).isFalse();
    assertThat(m.toJson()).isEqualTo(before);
    assertThat(m.restore(null)).isTrue(); // a new table, or its query replaced
    assertThat(m.toJson()).isEqualTo(new RefreshCostModel().toJson());
  }
}
