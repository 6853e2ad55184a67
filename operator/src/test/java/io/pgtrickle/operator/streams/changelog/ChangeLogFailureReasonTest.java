package io.pgtrickle.operator.streams.changelog;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogConfigException;
import java.net.ConnectException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** The {@code ChangeLogReady} reason of each kind of failure to open a change log. */
class ChangeLogFailureReasonTest {

  @Test
  void aServerThatCannotBeReachedIsUnreachable() {
    var refused =
        new ChangeLogConfigException(
            "uri", "cannot connect to NATS", new ConnectException("Connection refused"));
    assertThat(ChangeLogLifecycle.reasonOf(refused)).isEqualTo("Unreachable");
    var startingUp =
        new ChangeLogConfigException(
            "uri", "cannot open", new SQLException("the database system is starting up", "57P03"));
    assertThat(ChangeLogLifecycle.reasonOf(startingUp)).isEqualTo("Unreachable");
  }

  @Test
  void aSettingTheBackendRefusesIsSettingRefused() {
    var replicas =
        new ChangeLogConfigException("replicas", "2 asked, but NATS server x is not in a cluster");
    assertThat(ChangeLogLifecycle.reasonOf(replicas)).isEqualTo("SettingRefused");
  }

  @Test
  void anythingElseIsUnavailable() {
    var password =
        new ChangeLogConfigException(
            "uri",
            "cannot open the PostgreSQL change log",
            new SQLException("password authentication failed", "28P01"));
    assertThat(ChangeLogLifecycle.reasonOf(password)).isEqualTo("Unavailable");
    assertThat(ChangeLogLifecycle.reasonOf(new IllegalStateException("x")))
        .isEqualTo("Unavailable");
  }
}
