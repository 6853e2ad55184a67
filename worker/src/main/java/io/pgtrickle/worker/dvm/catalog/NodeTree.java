package io.pgtrickle.worker.dvm.catalog;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A reader of PostgreSQL's node-tree text ({@code pg_node_tree}, e.g. {@code
 * pg_rewrite.ev_action}): {@code {TYPE :field value ...}} nodes, {@code (...)} lists (of nodes, or
 * of numbers tagged {@code i}, {@code o}, {@code b}), {@code <>} for null, quoted strings, bare
 * words, and constant datums {@code N [ b b ... ]}. Only structure is read; field values stay text.
 */
public final class NodeTree {

  /** A node: its type (e.g. {@code QUERY}, {@code VAR}) and fields in order. */
  public record Node(String type, Map<String, Object> fields) {

    public String text(String field) {
      Object v = fields.get(field);
      return v instanceof String s ? s : null;
    }

    public Node node(String field) {
      Object v = fields.get(field);
      return v instanceof Node n ? n : null;
    }

    /** The field as a list, or empty for null. */
    @SuppressWarnings("unchecked")
    public List<Object> list(String field) {
      Object v = fields.get(field);
      return v instanceof List<?> l ? (List<Object>) l : List.of();
    }
  }

  private final String s;
  private int pos;

  private NodeTree(String s) {
    this.s = s;
  }

  /** Parses {@code text}; the result is a {@link Node}, a list, or null. */
  public static Object parse(String text) {
    NodeTree t = new NodeTree(text);
    return t.value();
  }

  /** Every node of {@code root}, depth first, including nodes inside lists. */
  public static void walk(Object root, Consumer<Node> visit) {
    if (root instanceof Node n) {
      visit.accept(n);
      n.fields().values().forEach(v -> walk(v, visit));
    } else if (root instanceof List<?> l) {
      l.forEach(v -> walk(v, visit));
    }
  }

  /** Every node of {@code root} (depth first), as a list. */
  public static List<Node> nodes(Object root) {
    List<Node> out = new ArrayList<>();
    walk(root, out::add);
    return out;
  }

  private void blanks() {
    while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
      pos++;
    }
  }

  private Object value() {
    blanks();
    if (pos >= s.length()) {
      return null;
    }
    char c = s.charAt(pos);
    if (c == '{') {
      return node();
    }
    if (c == '(') {
      return list();
    }
    if (s.startsWith("<>", pos)) {
      pos += 2;
      return null;
    }
    if (c == '"') {
      return string();
    }
    String word = word();
    blanks();
    if (pos < s.length() && s.charAt(pos) == '[') {
      // A datum: its length, then its bytes in brackets.
      int close = s.indexOf(']', pos);
      pos = close + 1;
      return word;
    }
    return word;
  }

  private Node node() {
    pos++; // {
    blanks();
    String type = word();
    Map<String, Object> fields = new LinkedHashMap<>();
    while (true) {
      blanks();
      char c = s.charAt(pos);
      if (c == '}') {
        pos++;
        return new Node(type, fields);
      }
      if (c == ':') {
        String name = word().substring(1);
        blanks();
        char next = s.charAt(pos);
        if (next == ':' || next == '}') {
          fields.put(name, null);
        } else {
          fields.put(name, value());
        }
      } else {
        value(); // unexpected token: skip it
      }
    }
  }

  private List<Object> list() {
    pos++; // (
    List<Object> out = new ArrayList<>();
    while (true) {
      blanks();
      if (s.charAt(pos) == ')') {
        pos++;
        return out;
      }
      out.add(value());
    }
  }

  private String string() {
    StringBuilder sb = new StringBuilder();
    pos++;
    while (s.charAt(pos) != '"') {
      if (s.charAt(pos) == '\\') {
        pos++;
      }
      sb.append(s.charAt(pos++));
    }
    pos++;
    return sb.toString();
  }

  private String word() {
    int start = pos;
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (Character.isWhitespace(c) || c == '{' || c == '}' || c == '(' || c == ')' || c == '"') {
        break;
      }
      if (c == '\\' && pos + 1 < s.length()) {
        pos++;
      }
      pos++;
    }
    return s.substring(start, pos);
  }
}
