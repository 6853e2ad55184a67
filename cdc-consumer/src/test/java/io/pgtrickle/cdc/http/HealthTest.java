package io.pgtrickle.cdc.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.pipeline.ConsumerState;
import io.pgtrickle.cdc.pipeline.StateAccess;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HealthTest {

  @Test
  void livenessFailsAboveTheLagThreshold() {
    ConsumerState s = new ConsumerState();
    assertThat(Health.liveness(s, 100).ok()).as("unknown lag").isTrue();
    StateAccess.lag(s, 100);
    assertThat(Health.liveness(s, 100).ok()).isTrue();
    StateAccess.lag(s, 101);
    assertThat(Health.liveness(s, 100))
        .isEqualTo(new Health.Verdict(false, "slot lag 101 bytes is above 100"));
  }

  @Test
  void aLostSlotOrAStuckConsumerFailsBothProbes() {
    ConsumerState s = new ConsumerState();
    StateAccess.streaming(s, true);
    StateAccess.stuck(s, "stuck: nothing moved");
    assertThat(Health.liveness(s, 100))
        .isEqualTo(new Health.Verdict(false, "stuck: nothing moved"));
    assertThat(Health.readiness(s)).isEqualTo(new Health.Verdict(false, "stuck: nothing moved"));
    StateAccess.stuck(s, "");
    StateAccess.terminal(s, "replication slot s is lost");
    assertThat(Health.liveness(s, 100).message()).isEqualTo("replication slot s is lost");
    assertThat(Health.readiness(s).ok()).isFalse();
  }

  @Test
  void readinessMeansStreamingPublishingAndCapturingEverything() {
    ConsumerState s = new ConsumerState();
    assertThat(Health.readiness(s).ok()).isFalse();
    StateAccess.streaming(s, true);
    assertThat(Health.readiness(s)).isEqualTo(new Health.Verdict(true, "consuming"));
    s.captureProblems(Map.of("public.nk", "table public.nk has no primary key"));
    assertThat(Health.readiness(s))
        .isEqualTo(
            new Health.Verdict(
                false, "not capturing 1 table(s): table public.nk has no primary key"));
    assertThat(Health.liveness(s, 100).ok()).as("a restart would not help").isTrue();
    s.captureProblems(Map.of());
    StateAccess.publishFailing(s, true);
    assertThat(Health.readiness(s).ok()).isFalse();
    assertThat(Health.readiness(s).message()).startsWith("change log unavailable");
    assertThat(Health.liveness(s, 100).ok()).isTrue();
  }

  @Test
  void aSourceRefusalFailsReadinessNamingTheFixButNotLiveness() {
    ConsumerState s = new ConsumerState();
    StateAccess.streaming(s, true);
    StateAccess.refused(s, "changes are held back until GRANT pg_read_all_stats TO cdc");
    assertThat(Health.readiness(s))
        .isEqualTo(
            new Health.Verdict(
                false, "changes are held back until GRANT pg_read_all_stats TO cdc"));
    assertThat(Health.liveness(s, 100).ok()).as("a restart would not grant it").isTrue();
    StateAccess.refused(s, "");
    assertThat(Health.readiness(s).ok()).isTrue();
  }
}
