package io.pgtrickle.cdc.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When a silent replication connection is taken for dead. */
class ReplicationSessionTest {

  private static final long S = TimeUnit.SECONDS.toNanos(1);
  private static final long NOW = 1_000_000 * S;
  private static final long LIMIT = 75 * S;

  @Test
  void silenceWithTheWalsenderSeenOnTheServerIsAQuietSource() {
    assertThat(ReplicationSession.dead(NOW, NOW - 300 * S, NOW - 2 * S, LIMIT)).isFalse();
  }

  @Test
  void silenceWithTheWalsenderGoneOrNeverSeenIsADeadConnection() {
    assertThat(ReplicationSession.dead(NOW, NOW - 76 * S, NOW - 76 * S, LIMIT)).isTrue();
    assertThat(ReplicationSession.dead(NOW, NOW - 76 * S, 0, LIMIT)).isTrue();
  }

  @Test
  void theLimitIsTheSetting() {
    assertThat(ReplicationSession.dead(NOW, NOW - 11 * S, 0, 10 * S)).isTrue();
    assertThat(ReplicationSession.dead(NOW, NOW - 9 * S, 0, 10 * S)).isFalse();
  }

  @Test
  void aRecentMessageIsLifeWhateverThePollSays() {
    assertThat(ReplicationSession.dead(NOW, NOW - 74 * S, 0, LIMIT)).isFalse();
    assertThat(ReplicationSession.dead(NOW, NOW - 1 * S, NOW - 500 * S, LIMIT)).isFalse();
  }
}
