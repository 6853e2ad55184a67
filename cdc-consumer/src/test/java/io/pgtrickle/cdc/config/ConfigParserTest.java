package io.pgtrickle.cdc.config;

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
    assertThat(c.publication()).isEqualTo("pgtrickle_cdc");
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.statusInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.failoverSlot()).isTrue();
    assertThat(c.sourceMembers()).isEmpty();
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
  void badSettingsAreNamed() {
    Map<Map<String, String>, String> cases =
        Map.of(
            env("PGTRICKLE_TABLES", " , "), "PGTRICKLE_TABLES (--tables) must name at least one",
            env("PGTRICKLE_TABLES", "a;drop"), "PGTRICKLE_TABLES (--tables): 'a;drop'",
            env("PGTRICKLE_HTTP_PORT", "http"),
                "PGTRICKLE_HTTP_PORT (--http-port) must be a whole number",
            env("PGTRICKLE_MAX_LAG_BYTES", "0"),
                "PGTRICKLE_MAX_LAG_BYTES (--max-lag-bytes) must be between",
            env("PGTRICKLE_SOURCE_URL", "postgres://u:secret@h/db"), "jdbc:postgresql://",
            env("HOSTNAME", "laptop"),
                "PGTRICKLE_SLOT (--slot) or PGTRICKLE_ORDINAL (--ordinal) is required",
            env("PGTRICKLE_SLOT", "Bad-Name"), "PGTRICKLE_SLOT (--slot): 'Bad-Name'",
            env("PGTRICKLE_FAILOVER_SLOT", "maybe"), "must be true or false",
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
}
