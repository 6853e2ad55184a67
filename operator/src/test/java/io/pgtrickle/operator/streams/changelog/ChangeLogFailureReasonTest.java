package io.pgtrickle.operator.streams.changelog;

import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.JetStreamApiException;
import io.nats.client.api.ApiResponse;
import io.nats.client.support.JsonParser;
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
    var noPeers =
        new ChangeLogConfigException(
            "replicas",
            "JetStream refused to change it to 5",
            jetStream(500, 10005, "insufficient resources"));
    assertThat(ChangeLogLifecycle.reasonOf(noPeers)).isEqualTo("SettingRefused");
  }

  /** A JetStream cluster electing its meta leader answers 10008: a wait, not the user's setting. */
  @Test
  void jetStreamTemporarilyUnavailableIsUnreachable() {
    var electing =
        new ChangeLogConfigException(
            "stream",
            "cannot create or read JetStream stream 's'",
            jetStream(503, 10008, "JetStream system temporarily unavailable"));
    assertThat(ChangeLogLifecycle.reasonOf(electing)).isEqualTo("Unreachable");
  }

  private static JetStreamApiException jetStream(int code, int apiCode, String description) {
    var response =
        new ApiResponse<Object>(
            JsonParser.parseUnchecked(
                "{\"error\":{\"code\":"
                    + code
                    + ",\"err_code\":"
                    + apiCode
                    + ",\"description\":\""
                    + description
                    + "\"}}")) {};
    return new JetStreamApiException(response);
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
