package io.pgtrickle.cdc.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SessionServerTest {

  @Test
  void onlyARefusalBecauseOfAShutdownOpensTheGate() {
    assertThat(
            SessionServer.shuttingDown(
                new SQLException("FATAL: the database system is shutting down", "57P03")))
        .isTrue();
    assertThat(
            SessionServer.shuttingDown(
                new SQLException(
                    "wrapped",
                    "08001",
                    new SQLException("the database system is shutting down", "57P03"))))
        .as("found in the cause")
        .isTrue();
    // After a crash the server restarts: what it had not sent to its standbys may be gone.
    assertThat(
            SessionServer.shuttingDown(
                new SQLException("FATAL: the database system is in recovery mode", "57P03")))
        .isFalse();
    assertThat(
            SessionServer.shuttingDown(
                new SQLException("FATAL: the database system is starting up", "57P03")))
        .isFalse();
    // pg_terminate_backend gives this too: the next connection tells what is going on.
    assertThat(
            SessionServer.shuttingDown(
                new SQLException(
                    "FATAL: terminating connection due to administrator command", "57P01")))
        .isFalse();
    assertThat(SessionServer.shuttingDown(new SQLException("Connection refused", "08001")))
        .isFalse();
  }

  @Test
  void aShutdownIsRecognisedInTheServersLanguage() {
    // The server's lc_messages decides the language of a refused connection.
    assertThat(
            SessionServer.shuttingDown(
                new SQLException("FATAL: das Datenbanksystem fährt herunter", "57P03")))
        .isTrue();
    assertThat(
            SessionServer.shuttingDown(
                new SQLException("FATAL:  le système de base de données s'arrête", "57P03")))
        .isTrue();
    assertThat(
            SessionServer.shuttingDown(
                new SQLException("FATAL: das Datenbanksystem startet", "57P03")))
        .as("starting up, in German")
        .isFalse();
    assertThat(
            SessionServer.shuttingDown(
                new SQLException("FATAL: das Datenbanksystem fährt herunter", "57P01")))
        .as("another SQLSTATE")
        .isFalse();
  }
}
