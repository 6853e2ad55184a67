package io.pgtrickle.cdc.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SynchronousCommitGateTest {

  @Test
  void onlyARefusalBecauseOfAShutdownOpensTheGate() {
    assertThat(
            SynchronousCommitGate.shuttingDown(
                new SQLException("FATAL: the database system is shutting down", "57P03")))
        .isTrue();
    assertThat(
            SynchronousCommitGate.shuttingDown(
                new SQLException(
                    "wrapped",
                    "08001",
                    new SQLException("the database system is shutting down", "57P03"))))
        .as("found in the cause")
        .isTrue();
    // After a crash the server restarts: what it had not sent to its standbys may be gone.
    assertThat(
            SynchronousCommitGate.shuttingDown(
                new SQLException("FATAL: the database system is in recovery mode", "57P03")))
        .isFalse();
    assertThat(
            SynchronousCommitGate.shuttingDown(
                new SQLException("FATAL: the database system is starting up", "57P03")))
        .isFalse();
    // pg_terminate_backend gives this too: the next connection tells what is going on.
    assertThat(
            SynchronousCommitGate.shuttingDown(
                new SQLException(
                    "FATAL: terminating connection due to administrator command", "57P01")))
        .isFalse();
    assertThat(SynchronousCommitGate.shuttingDown(new SQLException("Connection refused", "08001")))
        .isFalse();
  }
}
