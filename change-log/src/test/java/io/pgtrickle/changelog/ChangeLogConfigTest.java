package io.pgtrickle.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.support.TestEvents;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChangeLogConfigTest {

  @Test
  void parsesSchemeParametersAndDefaults() {
    ChangeLogConfig c =
        ChangeLogConfig.parse(
            "jdbc:postgresql://u:secret@db:5433/app?schema=s&consumer=w-1&batch=7");
    assertThat(c.scheme()).isEqualTo("postgresql");
    assertThat(c.consumerName()).isEqualTo("w-1");
    assertThat(c.batchSize()).isEqualTo(7);
    assertThat(c.pollTimeout().toMillis()).isEqualTo(100);
    assertThat(c.param("schema", "x")).isEqualTo("s");
    assertThat(c.redacted()).doesNotContain("secret");
    assertThat(ChangeLogConfig.parse("file:///d").consumerName()).isEqualTo("default");
    assertThat(ChangeLogConfig.parse("nats://h?password=p").redacted()).doesNotContain("=p");
  }

  @Test
  void badSettingsAreNamed() {
    assertSetting(() -> ChangeLogConfig.parse(""), "uri");
    assertSetting(() -> ChangeLogConfig.parse("::nope"), "uri");
    assertSetting(() -> ChangeLogConfig.parse("/no/scheme"), "uri");
    assertSetting(() -> ChangeLogConfig.parse("file:///d?consumer=a/b"), "consumer");
    assertSetting(() -> ChangeLogConfig.parse("file:///d?batch=0").batchSize(), "batch");
    assertSetting(() -> ChangeLogConfig.parse("file:///d?pollMs=x").pollTimeout(), "pollMs");
    assertSetting(
        () ->
            ChangeLogConfig.parse("file:///d?segmentMB=1").requireKnownParams(Set.of("segmentMb")),
        "segmentMB");
    assertSetting(() -> ChangeLogBackends.open("redis://h"), "uri");
  }

  @Test
  void commonParametersAreCheckedAtParseAndRepeatsRefused() {
    assertSetting(() -> ChangeLogConfig.parse("nats://h?batch=0"), "batch");
    assertSetting(() -> ChangeLogConfig.parse("postgresql://h/d?pollMs=-5"), "pollMs");
    assertSetting(() -> ChangeLogConfig.parse("file:///d?consumer=a&consumer=b"), "consumer");
    // A '#' in an unencoded password starts a fragment, which nothing reads.
    assertThatThrownBy(() -> ChangeLogConfig.parse("nats://u:pa#ss@h:4222"))
        .isInstanceOf(ChangeLogConfigException.class)
        .hasMessageContaining("%23")
        .message()
        .doesNotContain("ss@");
  }

  /** A URI error never quotes the URI: it may hold a password. */
  @Test
  void aBadUriIsReportedWithoutItsText() {
    assertThatThrownBy(() -> ChangeLogConfig.parse("postgresql://h/d?password=top secret"))
        .isInstanceOf(ChangeLogConfigException.class)
        .hasMessageContaining("at index")
        .hasNoCause()
        .message()
        .doesNotContain("top");
    assertThatThrownBy(() -> ChangeLogConfig.parse("postgresql://h/d?password=s3%cret"))
        .isInstanceOf(ChangeLogConfigException.class)
        .satisfies(e -> assertThat(((ChangeLogConfigException) e).setting()).isEqualTo("uri"))
        .hasMessageContaining("percent-encode")
        .message()
        .doesNotContain("s3");
  }

  /** Any character in a password survives: the programs add their credentials encoded. */
  @Test
  void credentialsAreAddedEncodedWhereTheUriHasNone() {
    String password = "a&b+c%d#e f=g?h/i";
    String uri =
        ChangeLogConfig.withCredentials("postgresql://db:5432/app?schema=s", "cdc user", password);
    ChangeLogConfig c = ChangeLogConfig.parse(uri);
    assertThat(c.params()).containsEntry("user", "cdc user").containsEntry("password", password);
    assertThat(c.param("schema", "")).isEqualTo("s");
    assertThat(
            ChangeLogConfig.parse(ChangeLogConfig.withCredentials("postgresql://db/app", "u", ""))
                .params())
        .containsOnlyKeys("user");
    // Given ones win; other backends are left alone.
    assertThat(ChangeLogConfig.withCredentials("postgresql://db/app?user=x&password=y", "u", "p"))
        .isEqualTo("postgresql://db/app?user=x&password=y");
    assertThat(ChangeLogConfig.withCredentials("jdbc:postgresql://x:y@db/app", "u", "p"))
        .isEqualTo("jdbc:postgresql://x:y@db/app");
    assertThat(ChangeLogConfig.withCredentials("nats://n:4222?stream=s", "u", "p"))
        .isEqualTo("nats://n:4222?stream=s");
  }

  private static void assertSetting(Runnable r, String setting) {
    assertThatThrownBy(r::run)
        .isInstanceOf(ChangeLogConfigException.class)
        .satisfies(e -> assertThat(((ChangeLogConfigException) e).setting()).isEqualTo(setting))
        .hasMessageContaining("'" + setting + "'");
  }

  @Test
  void publishBatchChecksTheContract() {
    List<ChangeEvent> events = TestEvents.range(5, 1, 4);
    assertThat(PublishBatch.validate(5, events)).isSameAs(events);
    assertThatThrownBy(() -> PublishBatch.validate(6, events))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("source_oid 5");
    assertThatThrownBy(() -> PublishBatch.validate(5, null))
        .isInstanceOf(MalformedEventException.class);
  }
}
