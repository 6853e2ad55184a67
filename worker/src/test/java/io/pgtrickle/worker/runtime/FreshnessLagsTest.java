package io.pgtrickle.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FreshnessLagsTest {

  private static final long SECOND = 1_000_000_000L;

  private static double gauge(PrometheusMeterRegistry registry) {
    return registry
        .get("pg_trickle_freshness_lag_ms")
        .tag("stream_table", "public.a")
        .gauge()
        .value();
  }

  /** No refresh completed for over a minute: NaN, not 0 ("fresh"), until the next sample. */
  @Test
  void theP95OfRecentSamplesAndNaNOnceNoneIsThatRecent() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicLong clock = new AtomicLong(100 * SECOND);
    FreshnessLags lags = new FreshnessLags(registry, clock::get);
    lags.record("public.a", new long[] {200, 220, 240});
    assertThat(gauge(registry)).isBetween(150.0, 300.0);

    clock.addAndGet(59 * SECOND);
    assertThat(gauge(registry)).as("within the minute").isBetween(150.0, 300.0);
    clock.addAndGet(2 * SECOND);
    assertThat(gauge(registry)).isNaN();
    assertThat(registry.scrape())
        .contains("pg_trickle_freshness_lag_ms{stream_table=\"public.a\"} NaN");

    lags.record("public.a", new long[] {});
    assertThat(gauge(registry)).as("a window without source transactions").isNaN();
    lags.record("public.a", new long[] {-5, 300});
    assertThat(gauge(registry)).isNotNaN();
  }
}
