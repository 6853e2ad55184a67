package io.pgtrickle.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

  @Test
  void defaultsOutsideAClusterWatchEverythingWithoutElection() {
    OperatorConfig config = OperatorConfig.fromEnvironment(Map.of());
    assertThat(config.watchNamespaces()).isEmpty();
    assertThat(config.leaderElection()).isFalse();
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.logLevel()).isEqualTo("INFO");
    assertThat(config.backupJobTtlSeconds()).isEqualTo(600);
  }

  /** The backup Jobs' time to live is read here (it was parsed unchecked by the reconciler). */
  @Test
  void backupJobTtlIsReadAndChecked() {
    assertThat(
            OperatorConfig.fromEnvironment(Map.of("PG_TRICKLE_BACKUP_JOB_TTL_SECONDS", " 60 "))
                .backupJobTtlSeconds())
        .isEqualTo(60);
    assertThat(
            OperatorConfig.fromEnvironment(Map.of("PG_TRICKLE_BACKUP_JOB_TTL_SECONDS", "0"))
                .backupJobTtlSeconds())
        .isZero();
    for (var bad :
        Map.of("-1", "must be 0 or more seconds", "10m", "must be a number").entrySet()) {
      assertThatThrownBy(
              () ->
                  OperatorConfig.fromEnvironment(
                      Map.of("PG_TRICKLE_BACKUP_JOB_TTL_SECONDS", bad.getKey())))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PG_TRICKLE_BACKUP_JOB_TTL_SECONDS=" + bad.getKey())
          .hasMessageContaining(bad.getValue());
    }
  }

  @Test
  void inAClusterLeaderElectionIsOnByDefault() {
    OperatorConfig config =
        OperatorConfig.fromEnvironment(
            Map.of("OPERATOR_NAMESPACE", "pg-trickle-system", "WATCH_NAMESPACES", " a, b ,,"));
    assertThat(config.leaderElection()).isTrue();
    assertThat(config.watchNamespaces()).containsExactlyInAnyOrder("a", "b");
    assertThat(config.leaseName()).isEqualTo("pg-trickle-operator");
  }

  @Test
  void everyBadSettingIsNamed() {
    assertThatThrownBy(
            () ->
                OperatorConfig.fromEnvironment(
                    Map.of(
                        "WATCH_NAMESPACES", "ok,Not_A_Name",
                        "LEADER_ELECTION", "yes",
                        "HTTP_PORT", "99999",
                        "LOG_LEVEL", "loud")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("WATCH_NAMESPACES entry Not_A_Name is not a namespace name")
        .hasMessageContaining("LEADER_ELECTION=yes must be true or false")
        .hasMessageContaining("HTTP_PORT=99999 must be between 1 and 65535")
        .hasMessageContaining("LOG_LEVEL=LOUD must be one of");
  }

  @Test
  void electionNeedsANamespaceForTheLease() {
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("LEADER_ELECTION", "true")))
        .hasMessageContaining("LEADER_ELECTION=true needs OPERATOR_NAMESPACE");
  }
}
