package io.pgtrickle.cdc.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.cdc.pipeline.AsyncStandbys.Decision;
import io.pgtrickle.changelog.Lsn;
import org.junit.jupiter.api.Test;

class AsyncStandbysTest {

  private static final long BOUND = 5_000_000_000L;
  private static final Lsn AT = Lsn.parse("0/3000100");

  @Test
  void parsesTheQuerysText() {
    assertThat(AsyncStandbys.parse("0/3000200,2,0"))
        .isEqualTo(new AsyncStandbys(Lsn.parse("0/3000200"), 2, 0));
    assertThat(AsyncStandbys.parse(",1,1")).isEqualTo(new AsyncStandbys(null, 1, 1));
    assertThat(AsyncStandbys.parse(",0,0")).isEqualTo(new AsyncStandbys(null, 0, 0));
    assertThatThrownBy(() -> AsyncStandbys.parse("0/1,2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0/1,2");
  }

  @Test
  void withoutAStreamingStandbyOrWithTheHoldOffABatchGoesAtOnce() {
    assertThat(new AsyncStandbys(null, 0, 0).decide(AT, 0, BOUND)).isEqualTo(Decision.PUBLISH);
    assertThat(new AsyncStandbys(Lsn.parse("0/1"), 1, 0).decide(AT, 0, 0))
        .isEqualTo(Decision.PUBLISH);
  }

  @Test
  void aBatchWaitsUntilTheMostAdvancedStandbyFlushedItOrTheBoundPassed() {
    AsyncStandbys behind = new AsyncStandbys(Lsn.parse("0/3000000"), 2, 0);
    assertThat(behind.decide(AT, 0, BOUND)).isEqualTo(Decision.HOLD);
    assertThat(behind.decide(AT, BOUND - 1, BOUND)).isEqualTo(Decision.HOLD);
    assertThat(behind.decide(AT, BOUND, BOUND)).isEqualTo(Decision.PUBLISH_UNPROTECTED);
    assertThat(new AsyncStandbys(AT, 2, 0).decide(AT, 0, BOUND)).isEqualTo(Decision.PUBLISH);
    assertThat(new AsyncStandbys(Lsn.parse("0/4000000"), 2, 0).decide(AT, 0, BOUND))
        .isEqualTo(Decision.PUBLISH);
  }

  @Test
  void hiddenPositionsPublishAtOnceUnprotectedUnlessAVisibleStandbyHasIt() {
    assertThat(new AsyncStandbys(null, 1, 1).decide(AT, 0, BOUND))
        .isEqualTo(Decision.PUBLISH_UNPROTECTED);
    assertThat(new AsyncStandbys(Lsn.parse("0/3000000"), 2, 1).decide(AT, 0, BOUND))
        .isEqualTo(Decision.PUBLISH_UNPROTECTED);
    assertThat(new AsyncStandbys(AT, 2, 1).decide(AT, 0, BOUND)).isEqualTo(Decision.PUBLISH);
  }
}
