package io.pgtrickle.adapter.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

  @Test
  void micrometerOutput() {
    String text =
        "# HELP pg_trickle_cdc_lag_p95_ms  \n"
            + "# TYPE pg_trickle_cdc_lag_p95_ms gauge\n"
            + "pg_trickle_cdc_lag_p95_ms 12.582912\n"
            + "pg_trickle_freshness_lag_ms{stream_table=\"public.sales\"} 250.0\n"
            + "pg_trickle_freshness_lag_ms{stream_table=\"a\\\"b\\\\c\\nd\",x=\"\"} NaN\n"
            + "pg_trickle_refreshes_total{mode=\"FULL\",outcome=\"completed\",} 3.0 1700000000000\n"
            + "up +Inf\n"
            + "down -Inf\n"
            + "\n";
    List<PrometheusText.Sample> s = PrometheusText.parse(text);
    assertThat(s).hasSize(6);
    assertThat(s.get(0))
        .isEqualTo(new PrometheusText.Sample("pg_trickle_cdc_lag_p95_ms", Map.of(), 12.582912));
    assertThat(s.get(1).labels()).containsExactly(Map.entry("stream_table", "public.sales"));
    assertThat(s.get(2).labels())
        .containsEntry("stream_table", "a\"b\\c\nd")
        .containsEntry("x", "");
    assertThat(s.get(2).value()).isNaN();
    assertThat(s.get(3).value()).isEqualTo(3.0);
    assertThat(s.get(3).labels()).hasSize(2);
    assertThat(s.get(4).value()).isInfinite();
    assertThat(s.get(5).value()).isEqualTo(Double.NEGATIVE_INFINITY);
  }

  @Test
  void aBrokenLineIsNamed() {
    assertThatThrownBy(() -> PrometheusText.parse("ok 1\nbad{x=\"1} 2\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2");
    assertThatThrownBy(() -> PrometheusText.parse("novalue\n")).hasMessageContaining("no value");
    assertThatThrownBy(() -> PrometheusText.parse("m abc\n")).hasMessageContaining("line 1");
  }
}
