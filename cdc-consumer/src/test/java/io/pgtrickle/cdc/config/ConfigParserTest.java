package io.pgtrickle.cdc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigParserTest {

  private static Map<String, String> env(String... kv) {
    Map<String, String> env = new HashMap<>();
    env.put("PGTRICKLE_SOURCE_URL", "jdbc:postgresql://db-primary:5432/app");
    env.put("PGTRICKLE_TABLES", "public.orders, items");
    env.put("PGTRICKLE_CHANGELOG_URI", "file:///var/lib/log");
    env.put("HOSTNAME", "production-cdc-3");
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return env;
  }

  @Test
  void defaultsAndTheSlotFromThePodName() {
    CdcConfig c = ConfigParser.parse(env(), List.of());
    assertThat(c.slot()).isEqualTo("pgtrickle_cdc_3");
    assertThat(c.tables()).containsExactly("public.orders", "public.items");
    assertThat(c.publication()).as("each consumer its own").isEqualTo("pgtrickle_cdc_3");
    assertThat(c.catalog()).isTrue();
    assertThat(c.catalogPoll()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.ordinal()).isEqualTo(3);
    assertThat(c.replicas()).isEqualTo(1);
    assertThat(c.stuckTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.asyncStandbyHold()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.silenceLimit()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.reconnectMax()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.statusInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.failoverSlot()).isTrue();
    assertThat(c.dropStandbySlotCopies()).as("opt-in before PostgreSQL 17").isFalse();
    assertThat(c.sourceMembers()).isEmpty();
  }

  @Test
  void droppingStandbySlotCopiesBefore17IsParsedLikeTheOtherSwitches() {
    assertThat(
            ConfigParser.parse(env("PGTRICKLE_DROP_STANDBY_SLOT_COPIES", "true"), List.of())
                .dropStandbySlotCopies())
        .isTrue();
    assertThat(
            ConfigParser.parse(env("PGTRICKLE_DROP_STANDBY_SLOT_COPIES", "false"), List.of())
                .dropStandbySlotCopies())
        .isFalse();
    CdcConfig flag =
        ConfigParser.parse(
            env("PGTRICKLE_DROP_STANDBY_SLOT_COPIES", "false"),
            List.of("--drop-standby-slot-copies=true"));
    assertThat(flag.dropStandbySlotCopies()).as("the flag wins").isTrue();
    assertThat(flag.failoverSlot()).as("independent of failover slots").isTrue();
    assertThat(flag.describe()).contains("drop_standby_slot_copies=true");
    assertThat(
            ConfigParser.parse(env(), List.of("--drop-standby-slot-copies", "off"))
                .dropStandbySlotCopies())
        .isFalse();
  }

  @Test
  void flagsWinOverEnvironment() {
    CdcConfig c =
        ConfigParser.parse(
            env("PGTRICKLE_HTTP_PORT", "1"),
            List.of("--http-port=9090", "--ordinal", "7", "--failover-slot=no"));
    assertThat(c.httpPort()).isEqualTo(9090);
    assertThat(c.slot()).isEqualTo("pgtrickle_cdc_7");
    assertThat(c.failoverSlot()).isFalse();
    assertThat(ConfigParser.parse(env(), List.of("--slot=mine")).slot()).isEqualTo("mine");
    assertThat(
            ConfigParser.parse(env(), List.of("--source-members=db-pods.shop.svc")).sourceMembers())
        .isEqualTo("db-pods.shop.svc");
  }

  @Test
  void tablesAreOptionalWhenTheCatalogIsFollowed() {
    CdcConfig c = ConfigParser.parse(env("PGTRICKLE_TABLES", ""), List.of("--replicas=4"));
    assertThat(c.tables()).isEmpty();
    assertThat(c.ordinal()).isEqualTo(3);
    assertThat(c.replicas()).isEqualTo(4);
    CdcConfig explicit =
        ConfigParser.parse(env("HOSTNAME", "laptop"), List.of("--slot=mine", "--publication=p"));
    assertThat(explicit.ordinal()).as("one consumer: ordinal 0").isZero();
    assertThat(explicit.publication()).isEqualTo("p");
  }

  @Test
  void badSettingsAreNamed() {
    Map<Map<String, String>, String> cases = new LinkedHashMap<>();
    cases.put(
        env("PGTRICKLE_TABLES", " , ", "PGTRICKLE_CATALOG", "false"),
        "PGTRICKLE_TABLES (--tables) must name at least one table when PGTRICKLE_CATALOG"
            + " (--catalog) is false");
    cases.put(
        env("PGTRICKLE_REPLICAS", "3", "PGTRICKLE_TABLES", ""),
        "PGTRICKLE_ORDINAL (--ordinal) must be below PGTRICKLE_REPLICAS (--replicas) (3),"
            + " got 3");
    cases.put(
        env("HOSTNAME", "laptop", "PGTRICKLE_SLOT", "s", "PGTRICKLE_REPLICAS", "2"),
        "PGTRICKLE_ORDINAL (--ordinal) is required with PGTRICKLE_REPLICAS (--replicas) = 2");
    cases.put(
        env("PGTRICKLE_CATALOG_POLL_MS", "5"),
        "PGTRICKLE_CATALOG_POLL_MS (--catalog-poll-ms) must be between 50 and 600000");
    cases.put(
        env("PGTRICKLE_STUCK_TIMEOUT_MS", "soon"),
        "PGTRICKLE_STUCK_TIMEOUT_MS (--stuck-timeout-ms) must be a whole number");
    cases.put(
        env("PGTRICKLE_ASYNC_STANDBY_HOLD_MS", "60001"),
        "PGTRICKLE_ASYNC_STANDBY_HOLD_MS (--async-standby-hold-ms) must be between 0 and 60000");
    cases.put(
        env("PGTRICKLE_SILENCE_LIMIT_MS", "4999"),
        "PGTRICKLE_SILENCE_LIMIT_MS (--silence-limit-ms) must be between 5000 and 3600000");
    cases.put(env("PGTRICKLE_TABLES", "a;drop"), "PGTRICKLE_TABLES (--tables): 'a;drop'");
    cases.put(
        env("PGTRICKLE_HTTP_PORT", "http"),
        "PGTRICKLE_HTTP_PORT (--http-port) must be a whole number");
    cases.put(
        env("PGTRICKLE_MAX_LAG_BYTES", "0"),
        "PGTRICKLE_MAX_LAG_BYTES (--max-lag-bytes) must be between");
    cases.put(env("PGTRICKLE_SOURCE_URL", "postgres://u:secret@h/db"), "jdbc:postgresql://");
    cases.put(
        env("HOSTNAME", "laptop"),
        "PGTRICKLE_SLOT (--slot) or PGTRICKLE_ORDINAL (--ordinal) is required");
    cases.put(env("PGTRICKLE_SLOT", "Bad-Name"), "PGTRICKLE_SLOT (--slot): 'Bad-Name'");
    cases.put(env("PGTRICKLE_FAILOVER_SLOT", "maybe"), "must be true or false");
    cases.put(
        env("PGTRICKLE_DROP_STANDBY_SLOT_COPIES", "sometimes"),
        "PGTRICKLE_DROP_STANDBY_SLOT_COPIES (--drop-standby-slot-copies) must be true or false,"
            + " got 'sometimes'");
    cases.put(
        env("PGTRICKLE_SOURCE_MEMBERS", "postgres://db-pods:5432"),
        "PGTRICKLE_SOURCE_MEMBERS (--source-members): 'postgres://db-pods:5432' is not a"
            + " host name");
    cases.forEach(
        (e, message) ->
            assertThatThrownBy(() -> ConfigParser.parse(e, List.of()))
                .as(message)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message)
                .hasMessageNotContaining("secret"));
    Map<String, String> missing = env();
    missing.remove("PGTRICKLE_CHANGELOG_URI");
    assertThatThrownBy(() -> ConfigParser.parse(missing, List.of()))
        .hasMessage("PGTRICKLE_CHANGELOG_URI (--changelog-uri) is required");
    assertThatThrownBy(() -> ConfigParser.parse(env(), List.of("--nope=1")))
        .hasMessageContaining("unknown flag --nope");
  }

  @Test
  void describeHidesSecrets() {
    CdcConfig c =
        ConfigParser.parse(
            env(
                "PGTRICKLE_SOURCE_PASSWORD", "hunter2",
                "PGTRICKLE_SOURCE_URL", "jdbc:postgresql://h/db?password=hunter2",
                "PGTRICKLE_CHANGELOG_URI", "nats://user:hunter2@nats:4222"),
            List.of());
    assertThat(c.describe()).doesNotContain("hunter2").contains("nats://***@nats:4222");
    assertThat(c.toString()).doesNotContain("hunter2");
  }

  @Test
  void aReconnectMaximumBelowTheMinimumIsRefused() {
    assertThatThrownBy(
            () -> ConfigParser.parse(env("PGTRICKLE_RECONNECT_MIN_MS", "60000"), List.of()))
        .hasMessage(
            "PGTRICKLE_RECONNECT_MAX_MS (--reconnect-max-ms) (5000) must be at least"
                + " PGTRICKLE_RECONNECT_MIN_MS (--reconnect-min-ms) (60000)");
  }

  /** Any password works with a PostgreSQL change log: the consumer adds it percent-encoded. */
  @Test
  void aPostgresChangeLogGetsTheSourcesCredentialsEncoded() {
    CdcConfig c =
        ConfigParser.parse(
            env(
                "PGTRICKLE_SOURCE_USER", "cdc",
                "PGTRICKLE_SOURCE_PASSWORD", "p&w+d%#x",
                "PGTRICKLE_CHANGELOG_URI", "postgresql://db-primary:5432/app?schema=log"),
            List.of());
    assertThat(c.changeLogUri())
        .isEqualTo(
            "postgresql://db-primary:5432/app?schema=log&user=cdc&password=p%26w%2Bd%25%23x");
    assertThat(c.describe()).doesNotContain("p%26w");
  }

  @Test
  void otlpExportOnlyWithAnEndpoint() {
    assertThat(ConfigParser.parse(env(), List.of()).otlp()).isEmpty();
    CdcConfig c =
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
    assertThat(c.otlp().orElseThrow().serviceName()).isEqualTo("pg-trickle-cdc-consumer");
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
