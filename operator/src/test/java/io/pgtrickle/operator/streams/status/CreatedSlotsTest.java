package io.pgtrickle.operator.streams.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CreatedSlotsTest {

  @Test
  void aSlotCountsOnceSeenOnThePrimary() {
    assertThat(CreatedSlots.next("orders", 2, null, List.of())).isNull();
    assertThat(CreatedSlots.next("orders", 2, null, List.of("pgtrickle_orders_1")))
        .containsExactly("pgtrickle_orders_1");
    assertThat(
            CreatedSlots.next(
                "orders", 2, List.of("pgtrickle_orders_1"), List.of("pgtrickle_orders_0")))
        .as("by ordinal")
        .containsExactly("pgtrickle_orders_0", "pgtrickle_orders_1");
  }

  @Test
  void aSlotSeenOnceStaysWhileItsConsumerIsWantedEvenWhenMissingOrUnread() {
    List<String> before = List.of("pgtrickle_orders_0");
    assertThat(CreatedSlots.next("orders", 1, before, List.of()))
        .as("missing after a failover: Patroni keeps it permanent")
        .containsExactly("pgtrickle_orders_0");
    assertThat(CreatedSlots.next("orders", 1, before, null))
        .as("the database did not answer")
        .containsExactly("pgtrickle_orders_0");
  }

  @Test
  void theSlotOfAConsumerScaledAwayGoes() {
    assertThat(
            CreatedSlots.next(
                "orders",
                1,
                List.of("pgtrickle_orders_0", "pgtrickle_orders_1"),
                List.of("pgtrickle_orders_0", "pgtrickle_orders_1")))
        .containsExactly("pgtrickle_orders_0");
    assertThat(CreatedSlots.next("orders", 0, List.of("pgtrickle_orders_0"), null)).isNull();
  }

  @Test
  void otherPipelinesSlotsDoNotCount() {
    assertThat(CreatedSlots.next("orders", 1, null, List.of("pgtrickle_orders_x_0"))).isNull();
  }
}
