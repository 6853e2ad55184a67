package io.pgtrickle.adapter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigParserTest {

  @Test
  void defaultsWithTheNamespaceFromTheDownwardApi() {
    AdapterConfig c = ConfigParser.parse(Map.of("POD_NAMESPACE", "pg-trickle-system"), List.of());
    assertThat(c.securePort()).isEqualTo(6443);
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.tlsSecret()).isEqualTo("pg-trickle-metrics-adapter-tls");
    assertThat(c.serviceDnsNames())
        .containsExactly(
            "pg-trickle-metrics-adapter.pg-trickle-system.svc",
            "pg-trickle-metrics-adapter.pg-trickle-system.svc.cluster.local");
    assertThat(c.apiServices())
        .containsExactly("v1beta2.custom.metrics.k8s.io", "v1beta1.custom.metrics.k8s.io");
    assertThat(c.cacheTtl().toMillis()).isEqualTo(1000);
  }

  @Test
  void flagsWinOverVariables() {
    AdapterConfig c =
        ConfigParser.parse(
            Map.of("PGTRICKLE_NAMESPACE", "a", "PGTRICKLE_SECURE_PORT", "7443"),
            List.of("--secure-port=9443", "--http-port=0", "--apiservices="));
    assertThat(c.securePort()).isEqualTo(9443);
    assertThat(c.httpPort()).isZero();
    assertThat(c.apiServices()).isEmpty();
  }

  @Test
  void theRemovedCatalogSwitchIsRefusedNotIgnored() {
    Map<String, String> ns = Map.of("PGTRICKLE_NAMESPACE", "a");
    assertThatThrownBy(() -> ConfigParser.parse(ns, List.of("--catalog-metrics=false")))
        .hasMessageStartingWith("PGTRICKLE_CATALOG_METRICS (--catalog-metrics) was removed")
        .hasMessageContaining("workers' /metrics");
    assertThatThrownBy(
            () ->
                ConfigParser.parse(
                    Map.of("PGTRICKLE_NAMESPACE", "a", "PGTRICKLE_CATALOG_METRICS", "true"),
                    List.of()))
        .hasMessageStartingWith("PGTRICKLE_CATALOG_METRICS (--catalog-metrics) was removed");
  }

  @Test
  void badSettingsAreNamed() {
    Map<String, String> ns = Map.of("PGTRICKLE_NAMESPACE", "a");
    assertThatThrownBy(() -> ConfigParser.parse(Map.of(), List.of()))
        .hasMessage("PGTRICKLE_NAMESPACE (--namespace) is required");
    assertThatThrownBy(() -> ConfigParser.parse(ns, List.of("--secure-port=x")))
        .hasMessage("PGTRICKLE_SECURE_PORT (--secure-port): 'x' is not a port (1-65535)");
    assertThatThrownBy(() -> ConfigParser.parse(ns, List.of("--tls-cert-file=/nonexistent")))
        .hasMessage("PGTRICKLE_TLS_CERT_FILE (--tls-cert-file): cannot read /nonexistent");
    assertThatThrownBy(
            () -> ConfigParser.parse(ns, List.of("--apiservices=v1beta1.external.metrics.k8s.io")))
        .hasMessageContaining(
            "PGTRICKLE_APISERVICES (--apiservices): 'v1beta1.external.metrics.k8s.io'");
    assertThatThrownBy(() -> ConfigParser.parse(ns, List.of("--cache-ms=-1")))
        .hasMessageStartingWith("PGTRICKLE_CACHE_MS (--cache-ms): '-1' is not a number");
    assertThatThrownBy(() -> ConfigParser.parse(ns, List.of("--nope=1")))
        .hasMessageContaining("--nope");
    assertThatThrownBy(() -> ConfigParser.parse(Map.of("PGTRICKLE_NAMESPACE", "Bad_NS"), List.of()))
        .hasMessageContaining(
            "PGTRICKLE_NAMESPACE (--namespace): 'Bad_NS' is not a namespace name");
    assertThatThrownBy(() -> ConfigParser.parse(ns, List.of("--http-port=6443")))
        .hasMessageContaining("must differ");
  }

  /** Which levels pass and the whole message: program/'s LogLevelTest. */
  @Test
  void aLogLevelLogbackWouldNotKnowIsRefused() {
    assertThatThrownBy(
            () ->
                ConfigParser.parse(
                    Map.of("PGTRICKLE_NAMESPACE", "a", "PGTRICKLE_LOG_LEVEL", "loud"), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PGTRICKLE_LOG_LEVEL: 'loud' is not a log level");
  }
}
