package io.pgtrickle.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReachabilityTest {

  @Test
  void connectionErrorsAreUnreachableAndRefusalsAreSettings() {
    assertThat(Reachability.unreachable(new SQLException("refused", "08001"))).isTrue();
    assertThat(Reachability.unreachable(new SQLException("starting up", "57P03"))).isTrue();
    assertThat(Reachability.unreachable(new SQLException("too many", "53300"))).isTrue();
    assertThat(Reachability.unreachable(new RuntimeException(new ConnectException("x")))).isTrue();
    assertThat(
            Reachability.unreachable(
                new ChangeLogConfigException(
                    "uri",
                    "no broker",
                    new org.apache.kafka.common.errors.TimeoutException("timed out"))))
        .isTrue();
    assertThat(Reachability.unreachable(new SQLException("password", "28P01"))).isFalse();
    assertThat(Reachability.unreachable(new SQLException("no database", "3D000"))).isFalse();
    assertThat(Reachability.unreachable(new ChangeLogConfigException("schema", "bad"))).isFalse();
  }

  @Test
  void aChangeLogOnAClosedPortIsWaitedForWithBackoff() throws Exception {
    int port = closedPort();
    List<Long> pauses = new ArrayList<>();
    ChangeLogBackend log =
        Reachability.openWhenReachable(
            "postgresql://127.0.0.1:" + port + "/db?user=u&consumer=c",
            (error, backoff) -> {
              assertThat(error).isInstanceOf(ChangeLogConfigException.class);
              assertThat(error.getMessage()).contains("127.0.0.1:" + port);
              pauses.add(backoff);
              return pauses.size() < 7;
            });
    assertThat(log).as("gave up when the pause said so").isNull();
    assertThat(pauses).containsExactly(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 30_000L, 30_000L);
  }

  @Test
  void anUnknownHostIsWaitedForAndNamed() throws Exception {
    List<String> messages = new ArrayList<>();
    ChangeLogBackend log =
        Reachability.openWhenReachable(
            "postgresql://no-such-host.invalid:5432/db?user=u&consumer=c",
            (error, backoff) -> {
              messages.add(error.getMessage());
              return false;
            });
    assertThat(log).isNull();
    assertThat(messages).singleElement().asString().contains("UnknownHostException");
  }

  @Test
  void aWrongSettingIsNotWaitedFor() throws Exception {
    List<Long> pauses = new ArrayList<>();
    assertThatThrownBy(
            () ->
                Reachability.openWhenReachable(
                    "nats://127.0.0.1:" + closedPort() + "?stream=no.dots",
                    (error, backoff) -> pauses.add(backoff)))
        .isInstanceOf(ChangeLogConfigException.class)
        .hasMessageContaining("stream");
    assertThatThrownBy(
            () ->
                Reachability.openWhenReachable(
                    "ftp://x/y", (error, backoff) -> pauses.add(backoff)))
        .isInstanceOf(ChangeLogConfigException.class)
        .hasMessageContaining("scheme");
    assertThat(pauses).isEmpty();
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
