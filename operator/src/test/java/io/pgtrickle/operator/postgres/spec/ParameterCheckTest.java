package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.operator.postgres.spec.ParameterCheck.Finding;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParameterCheckTest {

  private static List<Finding> check(int major, Map<String, String> params) {
    return ParameterCheck.check(major, params);
  }

  @Test
  void everySupportedMajorHasACatalog() {
    for (int major = 14; major <= 18; major++) {
      PostgresqlCatalog catalog = PostgresqlCatalog.of(major);
      assertThat(catalog.names())
          .contains("shared_buffers", "work_mem", "wal_level")
          .hasSizeGreaterThan(300);
    }
    assertThatThrownBy(() -> PostgresqlCatalog.of(13)).hasMessageContaining("PostgreSQL 13");
  }

  @Test
  void acceptableParametersPass() {
    assertThat(
            check(
                16,
                Map.of(
                    "shared_buffers", "1GB",
                    "max_connections", "200",
                    "work_mem", "16MB",
                    "jit", "off",
                    "search_path", "\"$user\", public",
                    "shared_preload_libraries", "pg_stat_statements")))
        .isEmpty();
    assertThat(check(16, null)).isEmpty();
  }

  @Test
  void anUnknownNameSuggestsTheClosestKnownOne() {
    assertThat(check(16, Map.of("shared_bufers", "1GB")))
        .containsExactly(
            new Finding(
                ParameterCheck.UNKNOWN,
                "shared_bufers",
                "spec.postgresqlParams: shared_bufers is not a parameter of PostgreSQL 16;"
                    + " did you mean shared_buffers?"));
    assertThat(check(16, Map.of("max_conections", "1")).get(0).message())
        .endsWith("did you mean max_connections?");
    assertThat(check(16, Map.of("no_such_thing_at_all", "1")).get(0).message())
        .isEqualTo(
            "spec.postgresqlParams: no_such_thing_at_all is not a parameter of PostgreSQL 16");
  }

  @Test
  void namesFollowTheMajor() {
    // io_method is new in 18; vacuum_defer_cleanup_age was removed in 16.
    assertThat(check(18, Map.of("io_method", "worker"))).isEmpty();
    assertThat(check(17, Map.of("io_method", "worker")))
        .extracting(Finding::reason)
        .containsExactly(ParameterCheck.UNKNOWN);
    assertThat(check(15, Map.of("vacuum_defer_cleanup_age", "0"))).isEmpty();
    assertThat(check(16, Map.of("vacuum_defer_cleanup_age", "0"))).hasSize(1);
  }

  @Test
  void namesAreCaseInsensitive() {
    assertThat(check(16, Map.of("Shared_Buffers", "1GB", "WORK_MEM", "8MB"))).isEmpty();
    assertThat(check(16, Map.of("Shared_Bufers", "1GB")).get(0).message())
        .contains("Shared_Bufers is not a parameter")
        .endsWith("did you mean shared_buffers?");
    Map<String, String> twice = new LinkedHashMap<>();
    twice.put("work_mem", "8MB");
    twice.put("WORK_MEM", "16MB");
    assertThat(check(16, twice))
        .extracting(Finding::message)
        .containsExactly(
            "spec.postgresqlParams: WORK_MEM and work_mem name the same parameter (names are"
                + " case-insensitive); keep one");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "pg_stat_statements.max",
        "pg_trickle.enabled",
        "auto_explain.log_min_duration",
        "Custom.Thing$2",
        "a.b.c"
      })
  void dottedNamesAreExtensionParametersAndPass(String name) {
    for (int major = 14; major <= 18; major++) {
      assertThat(check(major, Map.of(name, "anything at all"))).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"pg_trickle..x", ".x", "x.", "1ext.x", "ext.x-y"})
  void dottedNamesMustBeIdentifiers(String name) {
    assertThat(check(14, Map.of(name, "1")))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.reason()).isEqualTo(ParameterCheck.UNKNOWN);
              assertThat(f.message()).contains(name + " is not a valid extension parameter name");
            });
  }

  @Test
  void invalidValuesNameTheFieldTheValueAndWhatIsAllowed() {
    assertThat(check(16, Map.of("wal_level", "bogus")))
        .containsExactly(
            new Finding(
                ParameterCheck.INVALID,
                "wal_level",
                "spec.postgresqlParams.wal_level: \"bogus\" is not one of replica, logical"));
    assertThat(check(16, Map.of("max_connections", "lots")).get(0).message())
        .startsWith("spec.postgresqlParams.max_connections: \"lots\" is not an integer");
    assertThat(check(16, Map.of("block_size", "16384")).get(0).message())
        .isEqualTo(
            "spec.postgresqlParams.block_size: read-only, fixed when PostgreSQL is built or"
                + " initialized; remove it");
  }

  @Test
  void parametersPatroniDropsCannotBeSet() {
    assertThat(check(16, Map.of("debug_logical_replication_streaming", "immediate")))
        .containsExactly(
            new Finding(
                ParameterCheck.NOT_ALLOWED,
                "debug_logical_replication_streaming",
                "spec.postgresqlParams.debug_logical_replication_streaming: Patroni drops this"
                    + " parameter of PostgreSQL 16 from the configuration it writes; it cannot be"
                    + " set"));
    assertThat(
            PostgresqlCatalog.of(16).find("recovery_min_apply_delay").orElseThrow().patroniDrops())
        .isTrue();
    assertThat(PostgresqlParameters.OWNED).contains("recovery_min_apply_delay");
  }

  @Test
  void everyProblemIsReportedSortedByName() {
    assertThat(
            check(
                16,
                Map.of(
                    "work_mem", "lots",
                    "Shared_Bufers", "1GB",
                    "jit", "maybe",
                    "pg_trickle.x", "?",
                    "port", "5433")))
        .extracting(Finding::name)
        .containsExactly("jit", "Shared_Bufers", "work_mem");
  }

  @Test
  void distanceIsLevenshteinCappedAtTheLimit() {
    assertThat(ParameterCheck.distance("shared_bufers", "shared_buffers", 3)).isEqualTo(1);
    assertThat(ParameterCheck.distance("kitten", "sitting", 4)).isEqualTo(3);
    assertThat(ParameterCheck.distance("kitten", "sitting", 3)).isEqualTo(3);
    assertThat(ParameterCheck.distance("a", "abcdef", 3)).isEqualTo(3);
    assertThat(ParameterCheck.distance("work_mem", "work_mem", 3)).isZero();
  }

  @Test
  void slotSynchronizationWithoutHotStandbyFeedbackIsRefusedNamingTheParameter() {
    assertThat(check(17, Map.of("sync_replication_slots", "on", "Hot_Standby_Feedback", "off")))
        .containsExactly(
            new ParameterCheck.Finding(
                ParameterCheck.INVALID,
                "Hot_Standby_Feedback",
                "spec.postgresqlParams.Hot_Standby_Feedback: \"off\" with sync_replication_slots"
                    + " on: PostgreSQL synchronizes no slot without hot_standby_feedback; remove it"
                    + " (the operator's default is on) or turn sync_replication_slots off"));
    // The operator's default (on) or an explicit on is fine, and so is feedback off alone.
    assertThat(check(17, Map.of("sync_replication_slots", "on"))).isEmpty();
    assertThat(check(17, Map.of("sync_replication_slots", "true", "hot_standby_feedback", "1")))
        .isEmpty();
    assertThat(check(17, Map.of("sync_replication_slots", "off", "hot_standby_feedback", "off")))
        .isEmpty();
  }

  @Test
  void slotSynchronizationBelowWalLevelLogicalIsRefusedNamingTheParameter() {
    assertThat(check(18, Map.of("sync_replication_slots", "on", "wal_level", "replica")))
        .containsExactly(
            new ParameterCheck.Finding(
                ParameterCheck.INVALID,
                "wal_level",
                "spec.postgresqlParams.wal_level: \"replica\" with sync_replication_slots on:"
                    + " PostgreSQL synchronizes no slot below wal_level logical (some versions shut"
                    + " down or refuse to start over it); remove it (the operator's default is"
                    + " logical) or turn sync_replication_slots off"));
    // Both at once: both named, in name order.
    assertThat(
            check(
                17,
                Map.of(
                    "sync_replication_slots",
                    "on",
                    "wal_level",
                    "replica",
                    "hot_standby_feedback",
                    "off")))
        .extracting(ParameterCheck.Finding::name)
        .containsExactly("hot_standby_feedback", "wal_level");
    assertThat(check(17, Map.of("sync_replication_slots", "on", "wal_level", "LOGICAL"))).isEmpty();
    assertThat(check(17, Map.of("wal_level", "replica"))).isEmpty();
  }

  /**
   * Values PostgreSQL takes but Patroni replaces with its default (only a log line): refused, as
   * any value Patroni would drop.
   */
  @Test
  void valuesBelowPatronisMinimumsAreRefused() {
    Map<String, String> low = new LinkedHashMap<>();
    low.put("max_connections", "2");
    low.put("max_locks_per_transaction", "20");
    low.put("wal_keep_size", "8MB");
    low.put("max_wal_senders", "2");
    low.put("max_worker_processes", "1");
    low.put("max_replication_slots", "3");
    low.put("wal_level", "minimal");
    List<Finding> findings = check(16, low);
    assertThat(findings)
        .extracting(Finding::name)
        .containsExactlyInAnyOrderElementsOf(low.keySet());
    assertThat(findings)
        .filteredOn(f -> f.name().equals("max_connections"))
        .singleElement()
        .satisfies(f -> assertThat(f.message()).contains("from 25"));
    assertThat(
            check(
                16,
                Map.of(
                    "max_connections", "25",
                    "wal_keep_size", "16MB",
                    "max_wal_senders", "3",
                    "wal_level", "replica")))
        .isEmpty();
  }
}
