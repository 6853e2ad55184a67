package io.pgtrickle.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.ChangeLogConfigException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class ReachabilityTest {

  @Test
  void connectionErrorsAreUnreachableAndRefusalsAreSettings() {
    assertThat(Reachability.unreachable(new SQLException("refused", "08001"))).isTrue();
    assertThat(Reachability.unreachable(new SQLException("starting up", "57P03"))).isTrue();
    assertThat(Reachability.unreachable(new SQLException("too many", "53300"))).isTrue();
    assertThat(Reachability.unreachable(new RuntimeException(new ConnectException("x")))).isTrue();
    assertThat(Reachability.unreachable(new SQLException("password", "28P01"))).isFalse();
    assertThat(Reachability.unreachable(new SQLException("no database", "3D000"))).isFalse();
    assertThat(Reachability.unreachable(new ChangeLogConfigException("schema", "bad"))).isFalse();
  }

  @Test
  void aChangeLogOnAClosedPortIsUnreachable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try {
      ChangeLogBackends.open("postgresql://127.0.0.1:" + port + "/db?user=u&consumer=c").close();
      org.junit.jupiter.api.Assertions.fail("opened a change log on a closed port");
    } catch (ChangeLogConfigException e) {
      assertThat(Reachability.unreachable(e)).as(e.getMessage()).isTrue();
    }
  }
}
