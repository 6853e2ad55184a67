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
 * words, and constant datums {@code N [ b b ... ]}. Only structure is read; field values stay text
 * (strings and words without their escaping backslashes). Tokens are cut and read as PostgreSQL's
 * own reader does ({@code pg_strtok} and {@code nodeRead} of read.c); text that is not a node tree
 * fails with an {@link IllegalArgumentException}, never a loop.
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
    try {
      return t.value();
    } catch (StackOverflowError e) {
      // A tree nested deeper than this thread's stack: a failure of this query, not of the worker.
      throw new IllegalArgumentException("node tree nested too deeply to read", e);
    }
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

  /**
   * The next token as {@code pg_strtok} (read.c) cuts it: {@code (}, {@code )}, {@code {} and
   * {@code }} stand alone; any other token runs to the next space, tab, newline or unescaped
   * bracket, a backslash taking the character after it into the token. Double quotes do not end a
   * token: PostgreSQL's {@code outToken} escapes a double quote only at the start of a string, so
   * the column {@code a"b} is written {@code "a"b"}. Null at the end of the text.
   */
  private String token() {
    while (pos < s.length() && isBlank(s.charAt(pos))) {
      pos++;
    }
    if (pos >= s.length()) {
      return null;
    }
    int start = pos;
    char c = s.charAt(pos);
    if (c == '(' || c == ')' || c == '{' || c == '}') {
      pos++;
      return s.substring(start, pos);
    }
    while (pos < s.length()) {
      c = s.charAt(pos);
      if (isBlank(c) || c == '(' || c == ')' || c == '{' || c == '}') {
        break;
      }
      pos += c == '\\' && pos + 1 < s.length() ? 2 : 1;
    }
    return s.substring(start, pos);
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\n' || c == '\t';
  }

  /** The next token, failing at the end of the text (a truncated or malformed tree). */
  private String required() {
    String t = token();
    if (t == null) {
      throw malformed("unexpected end");
    }
    return t;
  }

  private IllegalArgumentException malformed(String what) {
    return new IllegalArgumentException(
        "malformed node tree: " + what + " at offset " + pos + " of " + s.length());
  }

  private String peek() {
    int at = pos;
    String t = token();
    pos = at;
    return t;
  }

  private Object value() {
    String t = token();
    return t == null ? null : value(t);
  }

  private Object value(String t) {
    switch (t) {
      case "{":
        return node();
      case "(":
        return list();
      case "<>":
        return null;
      case ")":
      case "}":
        throw malformed("unexpected '" + t + "'");
      default:
        break;
    }
    if (t.length() > 1 && t.charAt(0) == '"' && t.charAt(t.length() - 1) == '"') {
      // A string (a String node; nodeTokenType's T_String): its text between the quotes, unescaped.
      return debackslash(t.substring(1, t.length() - 1));
    }
    if ("[".equals(peek())) {
      // A datum: its length, then its bytes in brackets.
      token();
      while (!"]".equals(required())) {
        // the datum's bytes
      }
    }
    return debackslash(t);
  }

  private Node node() {
    String type = required();
    Map<String, Object> fields = new LinkedHashMap<>();
    while (true) {
      String t = required();
      if (t.equals("}")) {
        return new Node(type, fields);
      }
      if (t.startsWith(":")) {
        // Every field of PostgreSQL 14-18's output has a value ({@code <>} when empty), so the
        // token after a field name is its value even when it starts with a colon (a column
        // named ":x" is written {@code :resname :x}).
        String v = required();
        fields.put(t.substring(1), v.equals("}") ? null : value(v));
        if (v.equals("}")) {
          return new Node(type, fields);
        }
      } else {
        value(t); // unexpected token: skip it
      }
    }
  }

  private List<Object> list() {
    List<Object> out = new ArrayList<>();
    while (true) {
      String t = required();
      if (t.equals(")")) {
        return out;
      }
      out.add(value(t));
    }
  }

  /** The token's text without the escaping backslashes ({@code debackslash} of read.c). */
  private static String debackslash(String t) {
    if (t.indexOf('\\') < 0) {
      return t;
    }
    StringBuilder sb = new StringBuilder(t.length());
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '\\' && i + 1 < t.length()) {
        c = t.charAt(++i);
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
