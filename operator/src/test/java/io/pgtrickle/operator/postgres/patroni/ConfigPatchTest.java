package io.pgtrickle.operator.postgres.patroni;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigPatchTest {

  private static Map<String, Object> config(Map<String, Object> parameters) {
    Map<String, Object> postgresql = new LinkedHashMap<>();
    postgresql.put("use_pg_rewind", true);
    postgresql.put("parameters", parameters);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("ttl", 20);
    config.put("postgresql", postgresql);
    return config;
  }

  @Test
  void aParameterTakenOutOfTheSpecIsRemovedFromPatroni() {
    Map<String, Object> current =
        config(Map.of("work_mem", "8MB", "max_connections", "150", "wal_level", "logical"));
    Map<String, Object> wanted = config(Map.of("wal_level", "logical"));
    Map<String, Object> patch = ConfigPatch.of(current, wanted);
    @SuppressWarnings("unchecked")
    Map<String, Object> parameters =
        (Map<String, Object>) ((Map<String, Object>) patch.get("postgresql")).get("parameters");
    Map<String, Object> expected = new HashMap<>();
    expected.put("wal_level", "logical");
    expected.put("work_mem", null);
    expected.put("max_connections", null);
    assertThat(parameters).isEqualTo(expected);
    assertThat((Map<String, Object>) patch.get("postgresql")).containsEntry("use_pg_rewind", true);
    assertThat(patch).containsEntry("ttl", 20);
    assertThat(wanted)
        .as("the wanted configuration is not changed")
        .isEqualTo(config(Map.of("wal_level", "logical")));
  }

  @Test
  void nothingToRemoveSendsTheWantedConfigurationAndKeysPatroniAloneAreLeft() {
    Map<String, Object> current = config(Map.of("work_mem", "8MB"));
    current.put("pause", true);
    Map<String, Object> wanted = config(Map.of("work_mem", "16MB", "wal_level", "logical"));
    Map<String, Object> patch = ConfigPatch.of(current, wanted);
    assertThat(patch).isSameAs(wanted).doesNotContainKey("pause");
    assertThat(ConfigPatch.of(Map.of(), wanted)).isSameAs(wanted);
  }

  @Test
  @SuppressWarnings("unchecked")
  void aPermanentSlotNoLongerWantedIsRemovedFromPatroni() {
    Map<String, Object> slot = Map.of("type", "logical", "database", "app", "plugin", "pgoutput");
    Map<String, Object> current = config(Map.of("wal_level", "logical"));
    current.put("slots", Map.of("pgtrickle_a_0", slot, "pgtrickle_a_1", slot));
    Map<String, Object> wanted = config(Map.of("wal_level", "logical"));
    wanted.put("slots", Map.of("pgtrickle_a_0", slot));
    Map<String, Object> patch = ConfigPatch.of(current, wanted);
    Map<String, Object> expected = new HashMap<>();
    expected.put("pgtrickle_a_0", slot);
    expected.put("pgtrickle_a_1", null); // else Patroni keeps it and creates it again
    assertThat((Map<String, Object>) patch.get("slots")).isEqualTo(expected);
    assertThat(patch.get("postgresql")).isEqualTo(wanted.get("postgresql"));
    assertThat(wanted.get("slots")).as("not changed").isEqualTo(Map.of("pgtrickle_a_0", slot));

    wanted.put("slots", Map.of());
    assertThat((Map<String, Object>) ConfigPatch.of(current, wanted).get("slots"))
        .containsOnlyKeys("pgtrickle_a_0", "pgtrickle_a_1")
        .containsValues((Object) null);
  }

  @Test
  void theConfigurationInForceHasNoDifferencesEvenWithNumbersAsTextAndEmptySections() {
    Map<String, Object> wanted = config(Map.of("work_mem", "8MB", "max_connections", "100"));
    wanted.put("slots", Map.of());
    wanted.put("ignore_slots", java.util.List.of());
    Map<String, Object> current = config(Map.of("work_mem", "8MB", "max_connections", 100));
    current.put("ttl", "20");
    current.put("pause", true);
    assertThat(ConfigPatch.differences(current, wanted)).isEmpty();
  }

  @Test
  void aValueChangedAParameterAddedOrASlotDroppedBehindTheOperatorsBackAreDifferences() {
    Map<String, Object> slot = Map.of("type", "logical", "database", "app", "plugin", "pgoutput");
    Map<String, Object> wanted = config(Map.of("work_mem", "8MB"));
    wanted.put("slots", Map.of("pgtrickle_a_0", slot));
    wanted.put(
        "ignore_slots", java.util.List.of(Map.of("name", "pgtrickle_b_0", "type", "logical")));
    Map<String, Object> current = config(Map.of("work_mem", "64MB", "statement_timeout", "1s"));
    current.put("ttl", 30);
    current.put("slots", Map.of("other", slot));
    current.put(
        "ignore_slots",
        java.util.List.of(Map.of("name", "pgtrickle_b_0", "type", "logical", "plugin", "x")));
    assertThat(ConfigPatch.differences(current, wanted))
        .containsExactly(
            "ttl",
            "postgresql.parameters.work_mem",
            "slots.pgtrickle_a_0",
            "ignore_slots",
            "postgresql.parameters.statement_timeout",
            "slots.other");
    current.remove("postgresql");
    assertThat(ConfigPatch.differences(current, wanted)).contains("postgresql");
  }
}
