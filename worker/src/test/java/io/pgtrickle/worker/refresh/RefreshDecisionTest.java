package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RefreshDecisionTest {

  private static final Lsn F = Lsn.parse("0/100");
  private static final Lsn L = Lsn.parse("0/200");
  private final MaintenancePlan full = new FullPlan("refresh_mode FULL");
  private final MaintenancePlan diff =
      new MaintenancePlan() {
        @Override
        public String mode() {
          return "DIFFERENTIAL";
        }

        @Override
        public String reason() {
          return "AUTO chose DIFFERENTIAL";
        }

        @Override
        public boolean needsWindowRows() {
          return true;
        }

        @Override
        public void prepareStorage(Connection c, RefreshContext ctx) {}

        @Override
        public RowCounts recompute(Connection c, RefreshContext ctx) {
          return RowCounts.NONE;
        }
      };

  private static SourceWindow w(long oid, long changes) {
    return new SourceWindow(oid, F, L, true, changes, false, false);
  }

  private RefreshDecision decide(
      MaintenancePlan plan, Map<Long, SourceWindow> windows, Set<Long> schema, Set<Long> up) {
    return RefreshDecision.decide(false, false, plan, windows, schema, up, oid -> "t" + oid);
  }

  @Test
  void firstPopulationAndReinit() {
    RefreshDecision d =
        RefreshDecision.decide(true, true, diff, Map.of(), Set.of(), Set.of(), oid -> "x");
    assertThat(d.action()).isEqualTo("FULL");
    assertThat(d.prepareStorage()).isTrue();
    assertThat(d.reason()).startsWith("initial population");
    d = RefreshDecision.decide(false, true, diff, Map.of(), Set.of(), Set.of(), oid -> "x");
    assertThat(d.action()).isEqualTo("REINITIALIZE");
  }

  @Test
  void nothingChangedIsNoData() {
    assertThat(decide(full, Map.of(1L, w(1, 0), 2L, w(2, 0)), Set.of(), Set.of()).action())
        .isEqualTo("NO_DATA");
  }

  @Test
  void changesRunThePlansMode() {
    assertThat(decide(full, Map.of(1L, w(1, 3)), Set.of(), Set.of()))
        .isEqualTo(
            new RefreshDecision(
                "FULL", false, "recomputed for 3 changes of t1 (refresh_mode FULL)"));
    RefreshDecision d = decide(diff, Map.of(1L, w(1, 3), 2L, w(2, 0)), Set.of(), Set.of());
    assertThat(d.action()).isEqualTo("DIFFERENTIAL");
    assertThat(d.applies()).isTrue();
  }

  @Test
  void reasonsSayWhatWasDoneAndWhy() {
    assertThat(decide(diff, Map.of(1L, w(1, 1), 2L, w(2, 4)), Set.of(), Set.of()).reason())
        .isEqualTo("applied 5 changes of t1, t2 (AUTO chose DIFFERENTIAL)");
    assertThat(decide(diff, Map.of(1L, w(1, 1), 2L, w(2, 0)), Set.of(), Set.of()).reason())
        .isEqualTo("applied 1 change of t1 (AUTO chose DIFFERENTIAL)");
    assertThat(decide(full, Map.of(1L, w(1, 0)), Set.of(), Set.of(9L)).reason())
        .isEqualTo("upstream stream table t9 changed; recomputed (refresh_mode FULL)");
    assertThat(
            RefreshDecision.decide(true, false, diff, Map.of(), Set.of(), Set.of(), o -> "x")
                .reason())
        .isEqualTo("initial population; AUTO chose DIFFERENTIAL");
    assertThat(RefreshRecords.failedReason("FULL", "ERROR: boom"))
        .isEqualTo("FULL failed: ERROR: boom");
  }

  @Test
  void truncateGapAndUnknownWindowsRecompute() {
    var t = new SourceWindow(1, F, L, true, 5, true, false);
    assertThat(decide(diff, Map.of(1L, t), Set.of(), Set.of()).reason())
        .isEqualTo("TRUNCATE of t1");
    var g = new SourceWindow(2, F, L, true, 1, false, true);
    assertThat(decide(diff, Map.of(2L, g), Set.of(), Set.of()).reason())
        .isEqualTo("changes of t2 may be missing (GAP)");
    var notCaptured = new SourceWindow(3, F, L, false, 0, false, false);
    assertThat(decide(diff, Map.of(3L, notCaptured), Set.of(), Set.of()).reason())
        .isEqualTo("t3 is not captured by the CDC yet");
    var noFrontier = new SourceWindow(4, null, L, true, 0, false, false);
    assertThat(decide(diff, Map.of(4L, noFrontier), Set.of(), Set.of()).reason())
        .isEqualTo("no complete window for t4 yet (first refresh since its capture began)");
    assertThat(decide(diff, Map.of(4L, noFrontier), Set.of(), Set.of()).action()).isEqualTo("FULL");
  }

  @Test
  void keyOnlyChangesRecomputeADifferentialPlanAndSayHowToGetItBack() {
    var k = w(5, 3).withKeyOnly("DEFAULT");
    RefreshDecision d = decide(diff, Map.of(5L, k, 6L, w(6, 2)), Set.of(), Set.of());
    assertThat(d.action()).isEqualTo("FULL");
    assertThat(d.reason())
        .isEqualTo(
            "t5's REPLICA IDENTITY is DEFAULT: its updates and deletes carry only the key;"
                + " recomputed; ALTER TABLE t5 REPLICA IDENTITY FULL restores differential"
                + " refreshes");
    assertThat(
            decide(diff, Map.of(5L, w(5, 3).withKeyOnly("USING INDEX")), Set.of(), Set.of())
                .reason())
        .startsWith("t5's REPLICA IDENTITY is USING INDEX: ");
    // Set back to FULL since: nothing to advise.
    assertThat(decide(diff, Map.of(5L, w(5, 3).withKeyOnly("FULL")), Set.of(), Set.of()).reason())
        .isEqualTo(
            "t5's updates and deletes carry only the key (made while its REPLICA IDENTITY was"
                + " not FULL); recomputed");
    // A FULL plan recomputes anyway: its reason stays its own.
    assertThat(decide(full, Map.of(5L, k), Set.of(), Set.of()).reason())
        .isEqualTo("recomputed for 3 changes of t5 (refresh_mode FULL)");
    // Without key-only changes the window applies.
    assertThat(decide(diff, Map.of(5L, w(5, 3)), Set.of(), Set.of()).action())
        .isEqualTo("DIFFERENTIAL");
    assertThat(k.applicable()).isFalse();
    assertThat(k.withRowEstimate(10.0).keyOnly()).isEqualTo("DEFAULT");
  }

  @Test
  void schemaAndUpstreamChanges() {
    RefreshDecision d = decide(diff, Map.of(1L, w(1, 0)), Set.of(1L), Set.of());
    assertThat(d.action()).isEqualTo("FULL");
    assertThat(d.prepareStorage()).isTrue();
    assertThat(d.reason()).isEqualTo("columns of t1 changed; recomputed");
    d = decide(diff, Map.of(1L, w(1, 0)), Set.of(), Set.of(9L));
    assertThat(d.action()).isEqualTo("FULL");
    assertThat(d.reason()).isEqualTo("upstream stream table t9 changed; recomputed");
    assertThat(decide(full, Map.of(), Set.of(), Set.of(9L)).action()).isEqualTo("FULL");
    assertThat(decide(full, Map.of(), Set.of(), Set.of()).action()).isEqualTo("NO_DATA");
  }
}
