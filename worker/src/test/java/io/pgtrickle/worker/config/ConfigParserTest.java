package io.pgtrickle.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigParserTest {

  private static Map<String, String> env(String... kv) {
    Map<String, String> env = new HashMap<>();
    env.put("PGTRICKLE_DATABASE_URL", "jdbc:postgresql://db-primary:5432/app");
    env.put("PGTRICKLE_CHANGELOG_URI", "nats://nats:4222?stream=s");
    env.put("PGTRICKLE_DATABASE_PASSWORD", "s3cret");
    env.put("HOSTNAME", "prod-worker-7d9f-abcde");
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return env;
  }

  @Test
  void defaults() {
    WorkerConfig c = ConfigParser.parse(env(), List.of());
    assertThat(c.databaseUser()).isEqualTo("postgres");
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.maxParallelRefreshes()).isEqualTo(2);
    assertThat(c.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.defaultSchedule()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.workerId()).matches("prod-worker-7d9f-abcde-[0-9a-f]{6}");
    assertThat(c.changeLogUri())
        .isEqualTo("nats://nats:4222?stream=s&consumer=pgtrickle-worker&batch=5000&pollMs=0");
  }

  @Test
  void theChangeLogUriKeepsWhatItSays() {
    WorkerConfig c =
        ConfigParser.parse(
            env("PGTRICKLE_CHANGELOG_URI", "postgresql://log:5432/db?consumer=mine&pollMs=50"),
            List.of());
    // The database's credentials, percent-encoded, since the URI gives none.
    assertThat(c.changeLogUri())
        .isEqualTo(
            "postgresql://log:5432/db?consumer=mine&pollMs=50&batch=5000&user=postgres"
                + "&password=s3cret");
    assertThat(
            ConfigParser.parse(
                    env(
                        "PGTRICKLE_CHANGELOG_URI",
                        "postgresql://log/db",
                        "PGTRICKLE_DATABASE_PASSWORD",
                        "a&b+c%d#e"),
                    List.of())
                .changeLogUri())
        .endsWith("&user=postgres&password=a%26b%2Bc%25d%23e");
    assertThat(
            ConfigParser.parse(env("PGTRICKLE_CHANGELOG_URI", "kafka://k:9092"), List.of())
                .changeLogUri())
        .isEqualTo("kafka://k:9092?consumer=pgtrickle-worker&batch=5000&pollMs=0");
  }

  @Test
  void flagsWinOverEnvironment() {
    WorkerConfig c =
        ConfigParser.parse(
            env("PGTRICKLE_HTTP_PORT", "1"),
            List.of("--http-port=9090", "--worker-id", "w-1", "--default-schedule=1h30m"));
    assertThat(c.httpPort()).isEqualTo(9090);
    assertThat(c.workerId()).isEqualTo("w-1");
    assertThat(c.defaultSchedule()).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void badSettingsAreNamed() {
    Map<Map<String, String>, String> cases =
        Map.of(
            env("PGTRICKLE_DATABASE_URL", "postgres://x"),
                "PGTRICKLE_DATABASE_URL (--database-url) must be a jdbc:postgresql://",
            env("PGTRICKLE_HTTP_PORT", "http"),
                "PGTRICKLE_HTTP_PORT (--http-port) must be a whole number",
            env("PGTRICKLE_MAX_PARALLEL_REFRESHES", "0"),
                "PGTRICKLE_MAX_PARALLEL_REFRESHES (--max-parallel-refreshes) must be between 1",
            env("PGTRICKLE_CHANGELOG_URI", "file:///var/log"),
                "PGTRICKLE_CHANGELOG_URI (--changelog-uri): the local WAL files backend",
            env("PGTRICKLE_CHANGELOG_URI", "::"),
                "PGTRICKLE_CHANGELOG_URI (--changelog-uri) must be a change-log URI",
            env("PGTRICKLE_WORKER_ID", "a b"), "PGTRICKLE_WORKER_ID (--worker-id): 'a b'",
            env("PGTRICKLE_DEFAULT_SCHEDULE", "0 * * * *"),
                "PGTRICKLE_DEFAULT_SCHEDULE (--default-schedule) must be a duration",
            env("PGTRICKLE_LEASE_MS", "10"),
                "PGTRICKLE_LEASE_MS (--lease-ms) must be between 1000");
    cases.forEach(
        (e, message) ->
            assertThatThrownBy(() -> ConfigParser.parse(e, List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message));
    Map<String, String> missing = env();
    missing.remove("PGTRICKLE_CHANGELOG_URI");
    assertThatThrownBy(() -> ConfigParser.parse(missing, List.of()))
        .hasMessage("PGTRICKLE_CHANGELOG_URI (--changelog-uri) is required");
    assertThatThrownBy(() -> ConfigParser.parse(env(), List.of("--nope=1")))
        .hasMessageContaining("unknown flag --nope");
  }

  @Test
  void thePasswordIsNeverDescribed() {
    WorkerConfig c =
        ConfigParser.parse(
            env("PGTRICKLE_CHANGELOG_URI", "postgresql://u:pw@log/db?password=pw2"), List.of());
    assertThat(c.describe()).doesNotContain("s3cret").doesNotContain("pw");
    assertThat(c.toString()).doesNotContain("s3cret");
  }

  @Test
  void historyRetention() {
    WorkerConfig d = ConfigParser.parse(env(), List.of());
    assertThat(d.historyRetention()).isEqualTo(Duration.ofDays(7));
    assertThat(d.historyMaxRows()).isEqualTo(10_000);
    assertThat(d.historyCleanupInterval()).isEqualTo(Duration.ofMinutes(1));
    WorkerConfig c =
        ConfigParser.parse(
            env("PGTRICKLE_HISTORY_RETENTION", "12h", "PGTRICKLE_HISTORY_MAX_ROWS", "0"),
            List.of("--history-cleanup-ms=5000"));
    assertThat(c.historyRetention()).isEqualTo(Duration.ofHours(12));
    assertThat(c.historyMaxRows()).isZero();
    assertThat(c.historyCleanupInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.describe()).contains("history_retention=PT12H history_max_rows=0");
    assertThat(
            ConfigParser.parse(env("PGTRICKLE_HISTORY_RETENTION", "forever"), List.of())
                .historyRetention())
        .isZero();
    assertThatThrownBy(
            () -> ConfigParser.parse(env("PGTRICKLE_HISTORY_RETENTION", "7 days"), List.of()))
        .hasMessageContaining("PGTRICKLE_HISTORY_RETENTION (--history-retention)")
        .hasMessageContaining("'7 days'");
    assertThatThrownBy(
            () -> ConfigParser.parse(env("PGTRICKLE_HISTORY_RETENTION", "10s"), List.of()))
        .hasMessageContaining("at least 1m");
    assertThatThrownBy(() -> ConfigParser.parse(env("PGTRICKLE_HISTORY_MAX_ROWS", "-1"), List.of()))
        .hasMessageContaining("PGTRICKLE_HISTORY_MAX_ROWS (--history-max-rows) must be between 0");
  }

  @Test
  void otlpExportOnlyWithAnEndpoint() {
    assertThat(ConfigParser.parse(env(), List.of()).otlp()).isEmpty();
    WorkerConfig c =
        ConfigParser.parse(
            env(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://otel-collector.monitoring.svc:4318",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "http/protobuf",
                "OTEL_RESOURCE_ATTRIBUTES",
                "k8s.pod.name=p-0"),
            List.of());
    assertThat(c.otlp().orElseThrow().metricsEndpoint())
        .isEqualTo("http://otel-collector.monitoring.svc:4318/v1/metrics");
    assertThat(c.otlp().orElseThrow().serviceName()).isEqualTo("pg-trickle-worker");
    assertThat(c.describe()).contains("otlp=OTLP http/protobuf");
    assertThatThrownBy(
            () ->
                ConfigParser.parse(
                    env(
                        "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "http://c:4317",
                        "OTEL_EXPORTER_OTLP_PROTOCOL",
                        "udp"),
                    List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("OTEL_EXPORTER_OTLP_PROTOCOL");
  }

  /** Which levels pass and the whole message: program/'s LogLevelTest. */
  @Test
  void aLogLevelLogbackWouldNotKnowIsRefused() {
    assertThatThrownBy(() -> ConfigParser.parse(env("PGTRICKLE_LOG_LEVEL", "loud"), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PGTRICKLE_LOG_LEVEL: 'loud' is not a log level");
  }
}
