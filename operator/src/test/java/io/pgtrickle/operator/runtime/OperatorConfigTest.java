package io.pgtrickle.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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

  /** logback's levels, OFF included, in any case; the chart gives the same value to the adapter. */
  @Test
  void logLevelsAreLogbacks() {
    assertThat(OperatorConfig.fromEnvironment(Map.of("LOG_LEVEL", "off")).logLevel())
        .isEqualTo("OFF");
    assertThat(OperatorConfig.fromEnvironment(Map.of("LOG_LEVEL", " Debug ")).logLevel())
        .isEqualTo("DEBUG");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("LOG_LEVEL", "")))
        .hasMessageContaining("LOG_LEVEL= must be one of [TRACE, DEBUG, INFO, WARN, ERROR, OFF]");
  }

  /**
   * The image variables were read unchecked where used: an empty one gave pods the image "" (or
   * ":16"), refused by the API server on every reconcile instead of at start.
   */
  @Test
  void imagesAreCheckedAtStart() {
    assertThat(
            OperatorConfig.fromEnvironment(
                Map.of(
                    "PG_TRICKLE_POSTGRES_IMAGE", "registry.local:5000/team/postgres",
                    "PG_TRICKLE_CDC_IMAGE", "registry.local:5000/cdc@sha256:0123abcd",
                    "PG_TRICKLE_WORKER_IMAGE", "worker:1")))
        .isNotNull();
    for (String name :
        List.of(
            "PG_TRICKLE_POSTGRES_IMAGE",
            "PG_TRICKLE_PGBOUNCER_IMAGE",
            "PG_TRICKLE_EXPORTER_IMAGE",
            "PG_TRICKLE_CDC_IMAGE",
            "PG_TRICKLE_WORKER_IMAGE")) {
      assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of(name, " ")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(name + " is empty: give an image such as ghcr.io/pg-trickle/")
          .hasMessageContaining("or leave it unset for that");
      assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of(name, "a b")))
          .hasMessageContaining(name + "='a b' has blanks");
    }
    for (String tagged : List.of("ghcr.io/pg-trickle/postgres:16", "pg@sha256:ab")) {
      assertThatThrownBy(
              () -> OperatorConfig.fromEnvironment(Map.of("PG_TRICKLE_POSTGRES_IMAGE", tagged)))
          .hasMessageContaining(
              "PG_TRICKLE_POSTGRES_IMAGE="
                  + tagged
                  + " has a tag or digest: give the repository only, such as"
                  + " ghcr.io/pg-trickle/postgres (the operator appends :MAJOR)");
    }
  }
}
