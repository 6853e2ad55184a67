package io.pgtrickle.changelog.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.changelog.ChangeLogConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The server a {@code nats://} URI names, as jnats is given it. */
class NatsServerTest {

  @ParameterizedTest(name = "{0} dials {1}")
  @CsvSource({
    "nats://nats.default.svc:4222?stream=s, nats://nats.default.svc:4222",
    "nats://nats-0.nats?stream=s, nats://nats-0.nats:4222",
    "nats://10.0.0.255:1, nats://10.0.0.255:1",
    "nats://[fd00::1]:4222, nats://[fd00::1]:4222",
    "nats://u:p@n:4223, nats://u:p@n:4223"
  })
  void dialsTheHostAndPortOfTheUri(String uri, String server) {
    assertThat(NatsSetup.server(ChangeLogConfig.parse(uri))).isEqualTo(server);
  }

  /**
   * java.net.URI gives no host for these (a server list, '_', an escaped character, a last label
   * starting with a digit): refused naming the URI, where nats://null:4222 was dialled before.
   */
  @ParameterizedTest(name = "{0} is refused")
  @ValueSource(
      strings = {
        "nats://a:4222,b:4222?stream=s",
        "nats://nats_1:4222",
        "nats://n%41ts:4222",
        "nats://nats.1:4222"
      })
  void refusesAUriWithoutAServerHost(String uri) {
    ChangeLogConfig config = ChangeLogConfig.parse(uri);
    assertThatThrownBy(() -> NatsSetup.server(config))
        .isInstanceOf(ChangeLogConfigException.class)
        .hasMessageContaining("uri")
        .hasMessageContaining("one server, nats://host:port");
  }
}
