package io.pgtrickle.adapter.custommetrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {

  private static boolean matches(String selector, Map<String, String> labels) {
    return LabelSelector.parse(selector, "s").matches(labels);
  }

  @Test
  void everyOperator() {
    Map<String, String> l = Map.of("stream_table", "public.orders", "tier", "a");
    assertThat(matches("stream_table=public.orders", l)).isTrue();
    assertThat(matches("stream_table==public.orders", l)).isTrue();
    assertThat(matches("stream_table!=public.orders", l)).isFalse();
    assertThat(matches("tier in (a, b)", l)).isTrue();
    assertThat(matches("tier notin (a,b)", l)).isFalse();
    assertThat(matches("tier", l)).isTrue();
    assertThat(matches("!tier", l)).isFalse();
    assertThat(matches("!missing,tier in (a),stream_table!=x", l)).isTrue();
    assertThat(matches("missing!=x", l)).isTrue();
    assertThat(matches("", l)).isTrue();
    assertThat(matches(null, l)).isTrue();
  }

  @Test
  void garbageIsABadRequestNamingThePart() {
    assertThatThrownBy(() -> LabelSelector.parse("a=b,c~d", "metricLabelSelector"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400))
        .hasMessageContaining("metricLabelSelector 'a=b,c~d'")
        .hasMessageContaining("'c~d'");
  }
}
