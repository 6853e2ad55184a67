package io.pgtrickle.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2026-01-01T00:05:00Z");

  @Test
  void addsAMissingCondition() {
    List<Condition> result = Conditions.with(List.of(), "Ready", false, "Creating", "m", 1, T0);
    assertThat(result).hasSize(1);
    assertThat(result.get(0).getStatus()).isEqualTo("False");
    assertThat(result.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(result.get(0).getObservedGeneration()).isEqualTo(1L);
  }

  @Test
  void keepsTransitionTimeWhileStatusIsUnchanged() {
    List<Condition> first = Conditions.with(List.of(), "Ready", false, "Creating", "a", 1, T0);
    List<Condition> second = Conditions.with(first, "Ready", false, "Waiting", "b", 2, T1);
    assertThat(second.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(second.get(0).getReason()).isEqualTo("Waiting");
  }

  @Test
  void movesTransitionTimeWhenStatusFlips() {
    List<Condition> first = Conditions.with(List.of(), "Ready", false, "Creating", "a", 1, T0);
    List<Condition> second = Conditions.with(first, "Ready", true, "Ready", "b", 1, T1);
    assertThat(second.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:05:00Z");
    assertThat(Conditions.isTrue(second, "Ready")).isTrue();
  }

  @Test
  void replacesOnlyTheNamedType() {
    List<Condition> both =
        Conditions.with(
            Conditions.with(List.of(), "Ready", false, "r", "m", 1, T0),
            "Degraded",
            true,
            "d",
            "m",
            1,
            T0);
    List<Condition> updated = Conditions.with(both, "Degraded", false, "ok", "m", 1, T1);
    assertThat(updated).extracting(Condition::getType).containsExactly("Ready", "Degraded");
    assertThat(Conditions.isTrue(updated, "Degraded")).isFalse();
  }
}
