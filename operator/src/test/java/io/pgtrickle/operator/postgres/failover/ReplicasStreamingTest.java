package io.pgtrickle.operator.postgres.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The condition while there is no running primary to stream from. */
class ReplicasStreamingTest {

  private static final Instant NOW = Instant.parse("2026-12-07T04:00:00Z");

  /**
   * Seen in a trial: True "Every replica streams from the primary my-cluster-0" while it was down.
   */
  @Test
  void aTrueConditionTurnsUnknownWhenThePrimaryIsGone() {
    List<Condition> streaming =
        ReplicasStreaming.with(List.of(), "my-cluster-0", List.of(), 1, NOW);
    Condition after =
        Conditions.find(
                ReplicasStreaming.withoutPrimary(streaming, 1, NOW.plusSeconds(5)),
                ReplicasStreaming.TYPE)
            .orElseThrow();
    assertThat(after.getStatus()).isEqualTo("Unknown");
    assertThat(after.getReason()).isEqualTo(ReplicasStreaming.NO_PRIMARY);
    assertThat(after.getLastTransitionTime()).isEqualTo(NOW.plusSeconds(5).toString());
  }

  @Test
  void aFalseOrAbsentConditionIsKept() {
    List<Condition> notStreaming =
        Conditions.with(
            List.of(), ReplicasStreaming.TYPE, false, ReplicasStreaming.NOT_STREAMING, "x", 1, NOW);
    assertThat(ReplicasStreaming.withoutPrimary(notStreaming, 1, NOW)).isEqualTo(notStreaming);
    assertThat(ReplicasStreaming.withoutPrimary(List.of(), 1, NOW)).isEmpty();
  }
}
