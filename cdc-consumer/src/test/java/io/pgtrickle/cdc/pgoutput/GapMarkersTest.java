package io.pgtrickle.cdc.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class GapMarkersTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void formatAndReadBack() {
    String text = GapMarkers.format("pgtrickle_cdc_0", List.of(16384L, 4294967295L));
    assertThat(text).isEqualTo("gap slot=pgtrickle_cdc_0 sources=16384,4294967295");
    assertThat(GapMarkers.sources("pgtrickle_cdc_0", GapMarkers.PREFIX, bytes(text)))
        .containsExactly(16384L, 4294967295L);
    assertThatThrownBy(() -> GapMarkers.format("s", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void otherSlotsPrefixesAndGarbageAreNotMarkersForUs() {
    String text = GapMarkers.format("pgtrickle_cdc_1", List.of(1L));
    assertThat(GapMarkers.sources("pgtrickle_cdc_0", GapMarkers.PREFIX, bytes(text))).isEmpty();
    assertThat(GapMarkers.sources("pgtrickle_cdc_1", "other", bytes(text))).isEmpty();
    assertThat(GapMarkers.sources(null, GapMarkers.PREFIX, bytes(text))).isEmpty();
    // A slot name that is a prefix of another slot's name does not match it.
    assertThat(
            GapMarkers.sources("s", GapMarkers.PREFIX, bytes(GapMarkers.format("s1", List.of(1L)))))
        .isEmpty();
    assertThat(GapMarkers.sources("s", GapMarkers.PREFIX, bytes("gap slot=s sources=1,x")))
        .isEmpty();
    assertThat(GapMarkers.sources("s", GapMarkers.PREFIX, bytes("gap slot=s sources=-1,7")))
        .containsExactly(7L);
  }
}
