package io.pgtrickle.changelog.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.ChangeLogException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Opening the PostgreSQL change log tells a server that cannot be reached from a wrong setting. */
class PostgresBackendUnreachableTest {

  @Test
  void connectionErrorsAreTransientAndRefusalsAreSettings() {
    assertThat(PostgresBackend.unreachable("08001")).isTrue(); // connection refused or timed out
    assertThat(PostgresBackend.unreachable("08006")).isTrue(); // connection failure
    assertThat(PostgresBackend.unreachable("57P03")).isTrue(); // the database system is starting up
    assertThat(PostgresBackend.unreachable("53300")).isTrue(); // too many connections
    assertThat(PostgresBackend.unreachable(null)).isTrue();
    assertThat(PostgresBackend.unreachable("28P01")).isFalse(); // wrong password
    assertThat(PostgresBackend.unreachable("3D000")).isFalse(); // no such database
    assertThat(PostgresBackend.unreachable("42501")).isFalse(); // no privilege
  }

  @Test
  void aClosedPortIsNotAConfigurationError() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try {
      ChangeLogBackends.open("postgresql://u:secret@127.0.0.1:" + port + "/db?consumer=c").close();
      org.junit.jupiter.api.Assertions.fail("opened a change log on a closed port");
    } catch (ChangeLogConfigException e) {
      org.junit.jupiter.api.Assertions.fail("a closed port was taken for a wrong setting", e);
    } catch (ChangeLogException e) {
      assertThat(e.getMessage()).contains("cannot reach").doesNotContain("secret");
    }
  }
}
