package io.pgtrickle.program.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingValuesTest {

  /** A program's settings, as each program declares them. */
  enum Demo implements Setting {
    SOURCE_URL(null),
    HTTP_PORT("8080"),
    PASSWORD(""),
    CATALOG("true");

    private final String defaultValue;

    Demo(String defaultValue) {
      this.defaultValue = defaultValue;
    }

    @Override
    public String defaultValue() {
      return defaultValue;
    }
  }

  /** The program's own exception type, to see that every problem is reported with it. */
  static final class Bad extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Bad(String message) {
      super(message);
    }
  }

  private static SettingValues<Demo> read(Map<String, String> env, String... args) {
    return SettingValues.read(Demo.class, env, List.of(args), Bad::new);
  }

  @Test
  void bothFlagSpellingsAndTheLastOneWins() {
    SettingValues<Demo> v = read(Map.of(), "--source-url=a=b", "--http-port", "1", "--http-port=2");
    assertThat(v.get(Demo.SOURCE_URL)).as("only the first = splits").isEqualTo("a=b");
    assertThat(v.get(Demo.HTTP_PORT)).isEqualTo("2");
    assertThat(read(Map.of(), "--password", "--catalog").get(Demo.PASSWORD))
        .as("the next argument is the value, even one that looks like a flag")
        .isEqualTo("--catalog");
  }

  @Test
  void aFlagWinsOverItsVariableWhichWinsOverTheDefault() {
    Map<String, String> env = Map.of("PGTRICKLE_HTTP_PORT", " 9090 ", "PGTRICKLE_SOURCE_URL", "e");
    assertThat(read(env).get(Demo.HTTP_PORT)).as("trimmed").isEqualTo("9090");
    assertThat(read(env, "--http-port=1").get(Demo.HTTP_PORT)).isEqualTo("1");
    assertThat(read(Map.of()).get(Demo.HTTP_PORT)).isEqualTo("8080");
    assertThat(read(Map.of()).get(Demo.PASSWORD)).isEmpty();
  }

  @Test
  void blankValues() {
    assertThat(read(Map.of("PGTRICKLE_HTTP_PORT", "  ")).get(Demo.HTTP_PORT))
        .as("a blank optional value is given, as none")
        .isEmpty();
    assertThat(read(Map.of(), "--password=").get(Demo.PASSWORD)).isEmpty();
    assertThatThrownBy(() -> read(Map.of("PGTRICKLE_SOURCE_URL", " ")).get(Demo.SOURCE_URL))
        .isInstanceOf(Bad.class)
        .hasMessage("PGTRICKLE_SOURCE_URL (--source-url) is required");
    assertThatThrownBy(() -> read(Map.of()).get(Demo.SOURCE_URL))
        .hasMessage("PGTRICKLE_SOURCE_URL (--source-url) is required");
  }

  @Test
  void badArgumentsAreRefusedAtTheFirstOne() {
    assertThatThrownBy(() -> read(Map.of(), "--http-port"))
        .isInstanceOf(Bad.class)
        .hasMessage("flag --http-port needs a value");
    assertThatThrownBy(() -> read(Map.of(), "http-port=1", "--nope=1"))
        .isInstanceOf(Bad.class)
        .hasMessage("unexpected argument 'http-port=1' (flags are --name=value)");
    assertThatThrownBy(() -> read(Map.of(), "--nope=1", "--http-port"))
        .isInstanceOf(Bad.class)
        .hasMessage("unknown flag --nope; settings:\n" + SettingValues.usage(Demo.class))
        .hasMessageContaining("--catalog");
  }

  @Test
  void aProgramMayWordTheUnknownFlagItself() {
    assertThatThrownBy(
            () ->
                SettingValues.read(
                    Demo.class,
                    Map.of(),
                    List.of("--nope=1"),
                    Bad::new,
                    flag -> new IllegalStateException("no " + flag)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("no nope");
  }

  @Test
  void numbersWithinBounds() {
    assertThat(read(Map.of(), "--http-port=0").number(Demo.HTTP_PORT, 0, 65535)).isZero();
    assertThat(read(Map.of(), "--http-port=65535").number(Demo.HTTP_PORT, 0, 65535))
        .isEqualTo(65535);
    assertThatThrownBy(() -> read(Map.of(), "--http-port=65536").number(Demo.HTTP_PORT, 0, 65535))
        .isInstanceOf(Bad.class)
        .hasMessage("PGTRICKLE_HTTP_PORT (--http-port) must be between 0 and 65535, got 65536");
    assertThatThrownBy(() -> read(Map.of(), "--http-port=-1").number(Demo.HTTP_PORT, 0, 65535))
        .hasMessage("PGTRICKLE_HTTP_PORT (--http-port) must be between 0 and 65535, got -1");
    assertThatThrownBy(() -> read(Map.of(), "--http-port=8k").number(Demo.HTTP_PORT, 0, 65535))
        .isInstanceOf(Bad.class)
        .hasMessage("PGTRICKLE_HTTP_PORT (--http-port) must be a whole number, got '8k'");
    assertThatThrownBy(
            () ->
                read(Map.of(), "--http-port=99999999999999999999")
                    .number(Demo.HTTP_PORT, 0, Long.MAX_VALUE))
        .hasMessageContaining("must be a whole number");
  }

  @Test
  void switches() {
    for (String yes : List.of("true", "YES", "1", "On")) {
      assertThat(read(Map.of("PGTRICKLE_CATALOG", yes)).bool(Demo.CATALOG)).as(yes).isTrue();
    }
    for (String no : List.of("false", "No", "0", "OFF")) {
      assertThat(read(Map.of("PGTRICKLE_CATALOG", no)).bool(Demo.CATALOG)).as(no).isFalse();
    }
    assertThatThrownBy(() -> read(Map.of(), "--catalog=Maybe").bool(Demo.CATALOG))
        .isInstanceOf(Bad.class)
        .hasMessage("PGTRICKLE_CATALOG (--catalog) must be true or false, got 'maybe'");
  }

  @Test
  void theUsageTableListsEverySettingInColumnsTwoWiderThanTheLongestEntry() {
    assertThat(SettingValues.usage(Demo.class))
        .isEqualTo(
            String.format(
                "  --source-url   PGTRICKLE_SOURCE_URL   (required)%n"
                    + "  --http-port    PGTRICKLE_HTTP_PORT    default: 8080%n"
                    + "  --password     PGTRICKLE_PASSWORD     default: none%n"
                    + "  --catalog      PGTRICKLE_CATALOG      default: true%n"));
  }

  @Test
  void variablesNamedLikeASettingThatAreNoneAreReportedWithTheClosestSetting() {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("PGTRICKLE_SOURCE_URL", "jdbc:postgresql://db/app");
    env.put("PGTRICKLE_LOG_LEVEL", "DEBUG");
    env.put("PGTRICKLE_CATALOGUE", "false");
    env.put("PGTRICKLE_SOMETHING_ELSE", "1");
    env.put("PATH", "/bin");
    // A Service named pgtrickle-db in the namespace: Kubernetes' service links.
    env.put("PGTRICKLE_DB_SERVICE_HOST", "10.0.0.1");
    env.put("PGTRICKLE_DB_SERVICE_PORT", "5432");
    env.put("PGTRICKLE_DB_SERVICE_PORT_POSTGRES", "5432");
    env.put("PGTRICKLE_DB_PORT", "tcp://10.0.0.1:5432");
    env.put("PGTRICKLE_DB_PORT_5432_TCP_ADDR", "10.0.0.1");
    // Without its _SERVICE_HOST, a name ending in _PORT is no service link.
    env.put("PGTRICKLE_HTTP_PROT", "9090");
    env.put("PGTRICKLE_HTTPS_PORT", "9090");
    assertThat(SettingValues.unknownVariables(Demo.class, env, "the demo"))
        .containsExactly(
            "PGTRICKLE_CATALOGUE is not a setting of the demo, so it is ignored; did you mean"
                + " PGTRICKLE_CATALOG?",
            "PGTRICKLE_HTTPS_PORT is not a setting of the demo, so it is ignored; did you mean"
                + " PGTRICKLE_HTTP_PORT?",
            "PGTRICKLE_HTTP_PROT is not a setting of the demo, so it is ignored; did you mean"
                + " PGTRICKLE_HTTP_PORT?",
            "PGTRICKLE_SOMETHING_ELSE is not a setting of the demo, so it is ignored");
  }
}
