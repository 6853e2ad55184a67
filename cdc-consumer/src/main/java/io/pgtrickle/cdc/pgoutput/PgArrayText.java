package io.pgtrickle.cdc.pgoutput;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses PostgreSQL's array text output ({@code {1,2,NULL}}, {@code {"a b","c\"d"}}, {@code
 * {{1,2},{3,4}}}, optionally prefixed by bounds such as {@code [0:1]=}) into nested lists of
 * element texts, with SQL NULL as {@code null}. Elements are separated by commas: every built-in
 * type but box uses the comma delimiter, and box arrays stay text.
 */
final class PgArrayText {

  private final String text;
  private int pos;

  private PgArrayText(String text) {
    this.text = text;
  }

  static List<Object> parse(String text) {
    PgArrayText parser = new PgArrayText(text);
    if (text.startsWith("[")) {
      // Explicit bounds: the value follows the '='; lists lose the lower bound.
      parser.pos = text.indexOf('=') + 1;
    }
    List<Object> out = parser.array();
    if (parser.pos != text.length()) {
      throw new PgOutputException("trailing text after array at " + parser.pos + ": " + text);
    }
    return out;
  }

  private List<Object> array() {
    expect('{');
    List<Object> out = new ArrayList<>();
    if (peek() == '}') {
      pos++;
      return out;
    }
    while (true) {
      char c = peek();
      if (c == '{') {
        out.add(array());
      } else if (c == '"') {
        out.add(quoted());
      } else {
        out.add(unquoted());
      }
      char next = text.charAt(pos++);
      if (next == '}') {
        return out;
      }
      if (next != ',') {
        throw new PgOutputException("unexpected '" + next + "' in array at " + (pos - 1));
      }
    }
  }

  private String quoted() {
    StringBuilder sb = new StringBuilder();
    pos++;
    while (true) {
      char c = text.charAt(pos++);
      if (c == '"') {
        return sb.toString();
      }
      if (c == '\\') {
        c = text.charAt(pos++);
      }
      sb.append(c);
    }
  }

  private String unquoted() {
    int start = pos;
    while (peek() != ',' && peek() != '}') {
      pos++;
    }
    String s = text.substring(start, pos).trim();
    // An unquoted NULL is SQL NULL; the string "NULL" is always quoted by array_out.
    return "NULL".equalsIgnoreCase(s) ? null : s;
  }

  private char peek() {
    if (pos >= text.length()) {
      throw new PgOutputException("array text ends early: " + text);
    }
    return text.charAt(pos);
  }

  private void expect(char c) {
    if (peek() != c) {
      throw new PgOutputException("expected '" + c + "' at " + pos + " in array: " + text);
    }
    pos++;
  }
}
