package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PatroniPermanentSlotsTest {

  @Test
  void theKeysOfSlotsAsPatroniKeepsThemInItsConfigMap() {
    // As Patroni 4.1.5 wrote it on the test bed (abridged).
    String config =
        "{\"ttl\":30,\"loop_wait\":2,\"slots\":{\"pgtrickle_shop_0\":{\"type\":\"logical\","
            + "\"database\":\"postgres\",\"plugin\":\"pgoutput\"},\"pgtrickle_shop_1\":{\"type\":"
            + "\"logical\",\"database\":\"postgres\",\"plugin\":\"pgoutput\"}},\"ignore_slots\":[]}";
    assertThat(PatroniPermanentSlots.names(config))
        .containsExactly("pgtrickle_shop_0", "pgtrickle_shop_1");
  }

  @Test
  void noneWithoutSlotsOrConfigurationOrJson() {
    assertThat(PatroniPermanentSlots.names(null)).isEmpty();
    assertThat(PatroniPermanentSlots.names("")).isEmpty();
    assertThat(PatroniPermanentSlots.names("{\"ttl\":30}")).isEmpty();
    assertThat(PatroniPermanentSlots.names("{\"slots\":{}}")).isEmpty();
    assertThat(PatroniPermanentSlots.names("{\"slots\":{\"a\":null}}")).as("removed").isEmpty();
    assertThat(PatroniPermanentSlots.names("not json")).isEmpty();
  }
}
