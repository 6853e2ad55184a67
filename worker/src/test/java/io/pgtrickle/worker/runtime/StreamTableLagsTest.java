package io.pgtrickle.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StreamTableLagsTest {

  private static final long MS = 1_000_000L;

  @Test
  void theLagAtTheReadPlusTheTimeSinceThenOneSeriesPerStreamTable() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicLong clock = new AtomicLong(5_000 * MS);
    StreamTableLags lags = new StreamTableLags(registry, clock::get);
    lags.update(Map.of("public.a", 250.0, "public.b", 40.0), clock.get(), Duration.ofSeconds(120));
    clock.addAndGet(100 * MS);
    assertThat(lags.currentMs("public.a")).isEqualTo(350.0);
    assertThat(lags.currentMs("public.b")).isEqualTo(140.0);
    assertThat(registry.scrape())
        .contains("pg_trickle_stream_table_lag_ms{stream_table=\"public.a\"} 350.0")
        .contains("pg_trickle_stream_table_lag_ms{stream_table=\"public.b\"} 140.0");

    // public.a refreshed and renamed, public.b dropped: the next read says so.
    lags.update(Map.of("public.a2", 10.0), clock.get(), Duration.ofSeconds(120));
    clock.addAndGet(5 * MS);
    assertThat(lags.currentMs("public.a2")).isEqualTo(15.0);
    assertThat(lags.currentMs("public.a")).isNaN();
    String text = registry.scrape();
    assertThat(text).contains("pg_trickle_stream_table_lag_ms{stream_table=\"public.a2\"} 15.0");
    assertThat(text).doesNotContain("public.a\"").doesNotContain("public.b\"");
  }

  @Test
  void aReadOlderThanItsValidityIsNaNNotAFigure() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicLong clock = new AtomicLong();
    StreamTableLags lags = new StreamTableLags(registry, clock::get);
    assertThat(lags.currentMs("public.a")).isNaN(); // nothing read yet
    assertThat(registry.scrape()).doesNotContain("pg_trickle_stream_table_lag_ms");
    lags.update(Map.of("public.a", 0.0), clock.get(), Duration.ofSeconds(2));
    clock.addAndGet(2_000 * MS);
    assertThat(lags.currentMs("public.a")).isEqualTo(2_000.0);
    clock.addAndGet(1);
    assertThat(lags.currentMs("public.a")).isNaN();
    assertThat(registry.scrape())
        .contains("pg_trickle_stream_table_lag_ms{stream_table=\"public.a\"} NaN");
    // The scheduler reads again: a figure again.
    lags.update(Map.of("public.a", 3.0), clock.get(), Duration.ofSeconds(2));
    assertThat(lags.currentMs("public.a")).isEqualTo(3.0);
  }
}
