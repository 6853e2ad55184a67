package io.pgtrickle.adapter.custommetrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kubernetes label selector in its string form ({@code a=b,c!=d,e in (f,g),h notin (i),j,!k}), as
 * the HPA sends {@code metricLabelSelector}: parsed, matched against a metric series' labels, and
 * rendered as the {@code metav1.LabelSelector} a MetricValue echoes. Pure.
 *
 * @param requirements every requirement must hold (an empty list matches everything)
 */
public record LabelSelector(List<Requirement> requirements) {

  /** The operators of the string form. */
  public enum Operator {
    EQUALS,
    NOT_EQUALS,
    IN,
    NOT_IN,
    EXISTS,
    DOES_NOT_EXIST
  }

  /**
   * One requirement.
   *
   * @param key the label
   * @param operator how it is compared
   * @param values the values ({@code =}/{@code !=}: one; exists: none)
   */
  public record Requirement(String key, Operator operator, Set<String> values) {

    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (operator) {
        case EQUALS, IN -> v != null && values.contains(v);
        case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
        case EXISTS -> v != null;
        case DOES_NOT_EXIST -> v == null;
      };
    }
  }

  private static final String KEY = "[A-Za-z0-9][-A-Za-z0-9_./]*";
  private static final String VALUE = "[-A-Za-z0-9_.]*";
  private static final Pattern SET =
      Pattern.compile("(" + KEY + ")\\s+(in|notin)\\s+\\(([^)]*)\\)");
  private static final Pattern COMPARE =
      Pattern.compile("(" + KEY + ")\\s*(==|=|!=)\\s*(" + VALUE + ")");
  private static final Pattern EXISTS = Pattern.compile("(!?)\\s*(" + KEY + ")");
  private static final Pattern VALUE_ONLY = Pattern.compile(VALUE);

  /** Matches everything. */
  public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

  /**
   * Parses the string form.
   *
   * @param text the selector, or null/blank for everything
   * @param what which parameter it came from, for the error message
   * @return the selector
   * @throws ApiException 400 naming the part that does not parse
   */
  public static LabelSelector parse(String text, String what) {
    if (text == null || text.isBlank()) {
      return EVERYTHING;
    }
    List<Requirement> out = new ArrayList<>();
    for (String part : splitTopLevel(text)) {
      String p = part.strip();
      Matcher m;
      if ((m = SET.matcher(p)).matches()) {
        Set<String> values = new java.util.LinkedHashSet<>();
        for (String v : m.group(3).split(",")) {
          String value = v.strip();
          if (!VALUE_ONLY.matcher(value).matches()) {
            throw bad(what, text, p);
          }
          values.add(value);
        }
        out.add(
            new Requirement(
                m.group(1), m.group(2).equals("in") ? Operator.IN : Operator.NOT_IN, values));
      } else if ((m = COMPARE.matcher(p)).matches()) {
        out.add(
            new Requirement(
                m.group(1),
                m.group(2).equals("!=") ? Operator.NOT_EQUALS : Operator.EQUALS,
                Set.of(m.group(3))));
      } else if ((m = EXISTS.matcher(p)).matches()) {
        out.add(
            new Requirement(
                m.group(2),
                m.group(1).isEmpty() ? Operator.EXISTS : Operator.DOES_NOT_EXIST,
                Set.of()));
      } else {
        throw bad(what, text, p);
      }
    }
    return new LabelSelector(List.copyOf(out));
  }

  private static ApiException bad(String what, String text, String part) {
    return ApiException.badRequest(
        what + " '" + text + "' is not a label selector: cannot parse '" + part + "'");
  }

  private static List<String> splitTopLevel(String text) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(text.substring(start));
    return parts;
  }

  /**
   * Whether a series' labels satisfy every requirement.
   *
   * @param labels the labels
   * @return true if they do
   */
  public boolean matches(Map<String, String> labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  /** Whether this selects everything. */
  public boolean isEmpty() {
    return requirements.isEmpty();
  }
}
