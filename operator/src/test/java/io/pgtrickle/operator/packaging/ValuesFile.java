package io.pgtrickle.operator.packaging;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the structure of the chart's values.yaml (two-space indentation) for documentation checks.
 */
final class ValuesFile {

  private final List<String> lines;

  ValuesFile(List<String> lines) {
    this.lines = lines;
  }

  /** Dotted paths of every leaf value; an empty map or list counts as a leaf. */
  List<String> leafPaths() {
    Map<String, Object> values =
        PgTrickleChart.SERIALIZATION.unmarshal(String.join("\n", lines), Map.class);
    List<String> paths = new ArrayList<>();
    collect("", values, paths);
    return paths;
  }

  @SuppressWarnings("unchecked")
  private static void collect(String prefix, Map<String, Object> map, List<String> paths) {
    map.forEach(
        (key, value) -> {
          String path = prefix.isEmpty() ? key : prefix + "." + key;
          if (value instanceof Map<?, ?> child && !child.isEmpty()) {
            collect(path, (Map<String, Object>) child, paths);
          } else {
            paths.add(path);
          }
        });
  }

  /** Whether the line of the key at {@code path} comes right after a comment. */
  boolean hasComment(String path) {
    int line = lineOf(path);
    return line > 0 && lines.get(line - 1).strip().startsWith("#");
  }

  private int lineOf(String path) {
    String[] keys = path.split("\\.");
    int from = 0;
    int found = -1;
    for (int depth = 0; depth < keys.length; depth++) {
      String prefix = "  ".repeat(depth) + keys[depth] + ":";
      found = -1;
      for (int i = from; i < lines.size(); i++) {
        if (lines.get(i).startsWith(prefix)) {
          found = i;
          break;
        }
      }
      if (found < 0) {
        throw new IllegalArgumentException(path + " is not in values.yaml");
      }
      from = found + 1;
    }
    return found;
  }
}
