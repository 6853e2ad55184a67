package io.pgtrickle.operator.postgres.patroni;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of Patroni's {@code PATCH /config} that makes its dynamic configuration what the
 * operator wants.
 *
 * <p>Patroni merges a patch into what it has: a key with a value sets it, a key with {@code null}
 * removes it, and a key the patch does not name stays (Patroni's {@code patch_config}). So the
 * wanted configuration alone would never remove a PostgreSQL parameter: one taken out of {@code
 * spec.postgresqlParams} would stay in force. The patch therefore also names, with {@code null},
 * every parameter under {@code postgresql.parameters} that Patroni has and the operator no longer
 * wants. The same holds for the permanent replication slots under {@code slots} (the pipelines'
 * slots, see {@code PipelineSlot}): one Patroni has and the operator no longer wants is named with
 * {@code null}, or Patroni would keep it and create it again after the decommission dropped it.
 * Other keys Patroni has and the operator does not set (such as {@code pause}, set by {@code
 * patronictl pause}) are left alone.
 */
public final class ConfigPatch {

  private ConfigPatch() {}

  /**
   * The patch.
   *
   * @param current Patroni's dynamic configuration now ({@code GET /config})
   * @param wanted the configuration the operator wants
   * @return {@code wanted}, with {@code null} for each parameter and permanent slot to remove
   */
  public static Map<String, Object> of(Map<String, Object> current, Map<String, Object> wanted) {
    Map<String, Object> parameters = withRemovals(parameters(current), parameters(wanted));
    Map<String, Object> slots = withRemovals(section(current, "slots"), section(wanted, "slots"));
    if (parameters == null && slots == null) {
      return wanted;
    }
    Map<String, Object> patch = new LinkedHashMap<>(wanted);
    if (parameters != null) {
      Map<String, Object> postgresql = new LinkedHashMap<>(section(wanted, "postgresql"));
      postgresql.put("parameters", parameters);
      patch.put("postgresql", postgresql);
    }
    if (slots != null) {
      patch.put("slots", slots);
    }
    return patch;
  }

  /**
   * {@code want} with {@code null} for each key only {@code have} has, or null if there is none.
   */
  private static Map<String, Object> withRemovals(
      Map<String, Object> have, Map<String, Object> want) {
    if (have.keySet().stream().allMatch(want::containsKey)) {
      return null;
    }
    Map<String, Object> merged = new LinkedHashMap<>(want);
    for (String name : have.keySet()) {
      merged.putIfAbsent(name, null);
    }
    return merged;
  }

  private static Map<String, Object> parameters(Map<String, Object> config) {
    return section(section(config, "postgresql"), "parameters");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> section(Map<String, Object> config, String key) {
    Object value = config == null ? null : config.get(key);
    return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }
}
