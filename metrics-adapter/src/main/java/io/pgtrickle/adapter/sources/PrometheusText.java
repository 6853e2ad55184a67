package io.pgtrickle.adapter.sources;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the Prometheus text exposition format (version 0.0.4, what the programs' Micrometer
 * registries write on {@code /metrics}), pure: one {@link Sample} per series line; comments ({@code
 * # HELP}, {@code # TYPE}) and blank lines are skipped, an optional timestamp is ignored. Label
 * values may hold escaped {@code \\}, {@code \"} and {@code \n}; values may be {@code NaN}, {@code
 * +Inf}, {@code -Inf}.
 */
public final class PrometheusText {

  /**
   * One series value.
   *
   * @param name the metric name
   * @param labels its labels (empty when none)
   * @param value its value
   */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private PrometheusText() {}

  /**
   * Parses a whole exposition.
   *
   * @param text the body of {@code /metrics}
   * @return the samples, in order
   * @throws IllegalArgumentException naming the line that does not parse
   */
  public static List<Sample> parse(String text) {
    List<Sample> out = new ArrayList<>();
    int lineNo = 0;
    for (String line : text.split("\n", -1)) {
      lineNo++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      try {
        out.add(parseLine(l));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "line " + lineNo + " is not Prometheus text (" + e.getMessage() + "): " + l, e);
      }
    }
    return out;
  }

  private static Sample parseLine(String l) {
    int i = 0;
    while (i < l.length() && isNameChar(l.charAt(i), i == 0)) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException("no metric name");
    }
    String name = l.substring(0, i);
    Map<String, String> labels = Collections.emptyMap();
    if (i < l.length() && l.charAt(i) == '{') {
      labels = new LinkedHashMap<>();
      i = parseLabels(l, i + 1, labels);
    }
    String rest = l.substring(i).strip();
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("no value");
    }
    String[] fields = rest.split("\\s+");
    if (fields.length > 2) {
      throw new IllegalArgumentException("more than a value and a timestamp");
    }
    return new Sample(name, labels, value(fields[0]));
  }

  private static int parseLabels(String l, int i, Map<String, String> labels) {
    while (true) {
      while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == ',')) {
        i++;
      }
      if (i < l.length() && l.charAt(i) == '}') {
        return i + 1;
      }
      int start = i;
      while (i < l.length() && isNameChar(l.charAt(i), i == start) && l.charAt(i) != ':') {
        i++;
      }
      if (i == start) {
        throw new IllegalArgumentException("bad label name at " + start);
      }
      String key = l.substring(start, i);
      while (i < l.length() && l.charAt(i) == ' ') {
        i++;
      }
      if (i >= l.length() || l.charAt(i) != '=') {
        throw new IllegalArgumentException("no '=' after label " + key);
      }
      i++;
      while (i < l.length() && l.charAt(i) == ' ') {
        i++;
      }
      if (i >= l.length() || l.charAt(i) != '"') {
        throw new IllegalArgumentException("label " + key + " has no quoted value");
      }
      i++;
      StringBuilder value = new StringBuilder();
      while (true) {
        if (i >= l.length()) {
          throw new IllegalArgumentException("unterminated value of label " + key);
        }
        char c = l.charAt(i++);
        if (c == '"') {
          break;
        }
        if (c == '\\' && i < l.length()) {
          char e = l.charAt(i++);
          value.append(e == 'n' ? '\n' : e);
        } else {
          value.append(c);
        }
      }
      labels.put(key, value.toString());
    }
  }

  private static boolean isNameChar(char c, boolean first) {
    return c == '_'
        || c == ':'
        || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (!first && c >= '0' && c <= '9');
  }

  private static double value(String s) {
    return switch (s) {
      case "NaN" -> Double.NaN;
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(s);
    };
  }
}
