package io.pgtrickle.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.runtime.WorkerState;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HealthTest {

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final WorkerState state = new WorkerState(clock::get);
  private final Duration stuck = Duration.ofSeconds(60);

  private void advanceSeconds(long s) {
    clock.addAndGet(s * 1_000_000_000L);
  }

  @Test
  void livenessFailsWhenTheSchedulerStopsGoingRound() {
    assertThat(Health.liveness(state, stuck).ok()).isTrue();
    advanceSeconds(59);
    state.schedulerRound(false); // a failing round is still a round
    advanceSeconds(59);
    assertThat(Health.liveness(state, stuck).ok()).isTrue();
    advanceSeconds(2);
    Health.Verdict v = Health.liveness(state, stuck);
    assertThat(v.ok()).isFalse();
    assertThat(v.message()).startsWith("scheduler loop stuck");
  }

  @Test
  void livenessFailsWhenTheLeaseHoldersIngestStops() {
    state.ingestLease(true);
    advanceSeconds(61);
    state.schedulerRound(true);
    assertThat(Health.liveness(state, stuck).message()).startsWith("ingest loop stuck");
    state.ingestProgress();
    assertThat(Health.liveness(state, stuck).ok()).isTrue();
    advanceSeconds(61);
    state.schedulerRound(true);
    state.ingestLease(false); // not the holder: its ingest does not run
    assertThat(Health.liveness(state, stuck).ok()).isTrue();
  }

  @Test
  void readinessNeedsTheCatalogTheDatabaseAndNoDrain() {
    assertThat(Health.readiness(state).message()).startsWith("catalog not installed");
    state.catalogReady();
    assertThat(Health.readiness(state).message()).startsWith("database unavailable");
    state.schedulerRound(true);
    assertThat(Health.readiness(state).ok()).isTrue();
    state.draining();
    assertThat(Health.readiness(state)).isEqualTo(new Health.Verdict(false, "draining"));
  }
}
