package io.pgtrickle.operator.postgres.patroni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
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

  private static final ObjectMapper JSON = new ObjectMapper();

  private ConfigPatch() {}

  /**
   * Where Patroni's dynamic configuration is not what the operator wants: what {@link #of} would
   * change, as dotted paths ({@code postgresql.parameters.work_mem}, {@code slots.cdc_0}, {@code
   * ttl}). Empty when the configuration is in force.
   *
   * <p>Values are compared as Patroni treats them: a number and its text are equal ({@code 100} and
   * {@code "100"}, as PostgreSQL reads either), and an empty map or list the operator wants is
   * equal to no value at all. Keys Patroni has that the operator does not set are not differences,
   * except parameters and permanent slots, which {@link #of} removes.
   *
   * @param current Patroni's dynamic configuration now (the {@code config} annotation of its {@code
   *     SCOPE-config} ConfigMap, or {@code GET /config})
   * @param wanted the configuration the operator wants
   * @return the paths that differ, in the order of {@code wanted}, then those to remove
   */
  public static List<String> differences(Map<String, Object> current, Map<String, Object> wanted) {
    List<String> out = new ArrayList<>();
    compare("", JSON.valueToTree(current), JSON.valueToTree(wanted), out);
    for (String name : parameters(current).keySet()) {
      if (!parameters(wanted).containsKey(name)) {
        out.add("postgresql.parameters." + name);
      }
    }
    for (String name : section(current, "slots").keySet()) {
      if (!section(wanted, "slots").containsKey(name)) {
        out.add("slots." + name);
      }
    }
    return out;
  }

  private static void compare(String path, JsonNode have, JsonNode want, List<String> out) {
    if ((want.isObject() || want.isArray())
        && want.isEmpty()
        && (have.isMissingNode() || have.isNull())) {
      return;
    }
    if (want.isObject()) {
      if (!have.isObject()) {
        out.add(path);
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        compare(
            path.isEmpty() ? e.getKey() : path + "." + e.getKey(),
            have.path(e.getKey()),
            e.getValue(),
            out);
      }
    } else if (want.isArray()) {
      if (!have.isArray() || have.size() != want.size()) {
        out.add(path);
        return;
      }
      List<String> inner = new ArrayList<>();
      for (int i = 0; i < want.size(); i++) {
        compare(path, have.get(i), want.get(i), inner);
        // An entry of a list must be the same both ways: a key Patroni's entry has more is a
        // difference too (PATCH replaces a list whole).
        compare(path, want.get(i), have.get(i), inner);
      }
      if (!inner.isEmpty()) {
        out.add(path);
      }
    } else if (!have.isValueNode() || !have.asText().equals(want.asText())) {
      out.add(path);
    }
  }

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
