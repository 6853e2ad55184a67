package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The pure parts of a CDC scale-down: which pod is which ordinal, and what the Event says. */
class DecommissioningTest {

  @Test
  void oneDroppedSlotIsNamedWithItsPod() {
    assertThat(Decommissioning.droppedMessage("shop", 1, 2))
        .isEqualTo(
            "Dropped the replication slot pgtrickle_shop_1 of CDC consumer pod shop-cdc-1"
                + " (scaled down to 1 consumer)");
  }

  @Test
  void severalDroppedSlotsAreListedWithTheRangeOfPods() {
    assertThat(Decommissioning.droppedMessage("shop", 2, 5))
        .isEqualTo(
            "Dropped the replication slots pgtrickle_shop_2, pgtrickle_shop_3, pgtrickle_shop_4"
                + " of CDC consumer pods shop-cdc-2 to shop-cdc-4 (scaled down to 2 consumers)");
  }

  @Test
  void ordinalsAreReadFromStatefulSetPodNames() {
    assertThat(Decommissioning.ordinal("shop-cdc-3")).isEqualTo(3);
    assertThat(Decommissioning.ordinal("shop-worker-abc")).isEqualTo(-1);
  }
}
