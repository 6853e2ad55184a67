package io.pgtrickle.changelog.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class PostgresBackendMessageTest {

  @Test
  void aGenericMessageGetsItsRootCause() {
    var e =
        new SQLException(
            "The connection attempt failed.",
            "08001",
            new RuntimeException("wrapped", new UnknownHostException("changelog")));
    assertThat(PgConnectionSettings.withRootCause(e))
        .isEqualTo("The connection attempt failed. (UnknownHostException: changelog)");
  }

  @Test
  void aMessageThatAlreadySaysItIsKept() {
    var refused =
        new SQLException(
            "Connection to 127.0.0.1:1 refused: Connection refused",
            "08001",
            new ConnectException("Connection refused"));
    assertThat(PgConnectionSettings.withRootCause(refused))
        .isEqualTo("Connection to 127.0.0.1:1 refused: Connection refused");
    assertThat(PgConnectionSettings.withRootCause(new SQLException("no cause", "3D000")))
        .isEqualTo("no cause");
  }
}
