package io.pgtrickle.cdc.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.pipeline.ConsumerState;
import io.pgtrickle.cdc.pipeline.StateAccess;
import org.junit.jupiter.api.Test;

class HealthTest {

  @Test
  void livenessFailsOnlyAboveTheLagThreshold() {
    ConsumerState s = new ConsumerState();
    assertThat(Health.liveness(s, 100).ok()).as("unknown lag").isTrue();
    StateAccess.lag(s, 100);
    assertThat(Health.liveness(s, 100).ok()).isTrue();
    StateAccess.lag(s, 101);
    assertThat(Health.liveness(s, 100))
        .isEqualTo(new Health.Verdict(false, "slot lag 101 bytes is above 100"));
  }

  @Test
  void readinessMeansStreamingAndPublishing() {
    ConsumerState s = new ConsumerState();
    assertThat(Health.readiness(s).ok()).isFalse();
    StateAccess.streaming(s, true);
    assertThat(Health.readiness(s)).isEqualTo(new Health.Verdict(true, "consuming"));
    StateAccess.publishFailing(s, true);
    assertThat(Health.readiness(s).ok()).isFalse();
    assertThat(Health.readiness(s).message()).startsWith("change log unavailable");
  }
}
