package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A stream-table source that is gone (its storage dropped by {@code DROP TABLE}) counts as changed,
 * so the refresh recomputes instead of finding nothing new, and the frontier gets an entry for it.
 */
class SourceChangesTest {

  private static final Lsn L = Lsn.parse("0/200");

  private static RefreshCatalog.Sources upstreamOnly(Set<Long> gone) {
    Map<Long, Lsn> upstream = new java.util.HashMap<>();
    upstream.put(7L, gone.contains(7L) ? null : Lsn.parse("0/80"));
    return new RefreshCatalog.Sources(
        List.of(),
        Set.of(),
        Map.of(),
        upstream,
        gone.contains(7L) ? Map.of() : Map.of(7L, Lsn.parse("0/90")),
        Map.of(7L, gone.contains(7L) ? "7" : "public.minmax"),
        new RefreshCatalog.LockSet(Set.of(7L), List.of()),
        Map.of(),
        Map.of(),
        Set.of(),
        Set.of(),
        Map.of(),
        gone);
  }

  private static final Frontier BEFORE =
      new Frontier(
          Map.of(7L, Lsn.parse("0/90")),
          Lsn.parse("0/90"),
          Map.of(7L, Lsn.parse("0/80")),
          Map.of());

  @Test
  void goneUpstreamIsChangedAndRecomputed() {
    RefreshCatalog.Sources sources = upstreamOnly(Set.of(7L));
    Set<Long> changed = SourceChanges.schema(sources, BEFORE);
    assertThat(changed).containsExactly(7L);
    RefreshDecision d =
        RefreshDecision.decide(
            false,
            false,
            new FullPlan("refresh_mode FULL"),
            Map.of(),
            changed,
            SourceChanges.upstream(sources, BEFORE),
            sources.names()::get);
    assertThat(d.action()).isEqualTo("FULL");
    Frontier after = NextFrontier.of(Map.of(), sources, d, BEFORE, L, Map.of());
    assertThat(after.sources()).containsEntry(7L, L);
  }

  @Test
  void presentUnchangedUpstreamIsNoData() {
    RefreshCatalog.Sources sources = upstreamOnly(Set.of());
    assertThat(SourceChanges.schema(sources, BEFORE)).isEmpty();
    assertThat(SourceChanges.upstream(sources, BEFORE)).isEmpty();
    RefreshDecision d =
        RefreshDecision.decide(
            false,
            false,
            new FullPlan("refresh_mode FULL"),
            Map.of(),
            Set.of(),
            Set.of(),
            sources.names()::get);
    assertThat(d.action()).isEqualTo("NO_DATA");
  }

  @Test
  void aDroppedSchemaMeansTheRememberedLockSetIsOutOfDate() {
    assertThat(RefreshOpening.sourceGone("3F000")).isTrue();
    assertThat(RefreshOpening.sourceGone("42P01")).isTrue();
    assertThat(RefreshOpening.sourceGone("40001")).isFalse();
    assertThat(RefreshOpening.sourceGone(null)).isFalse();
  }
}
