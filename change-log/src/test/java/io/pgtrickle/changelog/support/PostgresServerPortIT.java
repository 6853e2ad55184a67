package io.pgtrickle.changelog.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;

/**
 * The harness's own fault: a port picked free can be taken before the server binds it (the parallel
 * test streams open thousands of connections; the packaged operator lost its port so once,
 * 2026-12-02). A server whose first port is taken starts on another one.
 */
class PostgresServerPortIT {

  @Test
  void aServerWhosePortWasTakenStartsOnAnother() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        PostgresServer server =
            PostgresServer.start(PostgresServer.defaultBin(), "", taken.getLocalPort())) {
      assertThat(server.port()).isNotEqualTo(taken.getLocalPort());
      try (Connection c = DriverManager.getConnection(server.jdbcUrl())) {
        assertThat(c.isValid(5)).isTrue();
      }
    }
  }
}
