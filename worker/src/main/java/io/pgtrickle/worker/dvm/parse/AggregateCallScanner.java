package io.pgtrickle.worker.dvm.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Finds calls of the aggregates the engine maintains ({@code count, sum, avg, min, max}, which
 * {@code pg_get_viewdef} prints unqualified as they live in {@code pg_catalog}) in an expression.
 */
public final class AggregateCallScanner {

  /** The maintained aggregates. */
  public static final Set<String> NAMES = Set.of("count", "sum", "avg", "min", "max");

  private AggregateCallScanner() {}

  /**
   * One call.
   *
   * @param start index of the name token
   * @param end index one past the call (after its FILTER clause, if any)
   * @param name the aggregate's name
   * @param arg the argument, or null for {@code count(*)}
   * @param filter the FILTER condition, or null
   */
  public record Call(int start, int end, String name, Expr arg, Expr filter) {}

  /**
   * The aggregate calls of {@code e}, outermost only.
   *
   * @throws Unsupported for DISTINCT or ORDER BY inside a call, several arguments, or OVER
   */
  public static List<Call> find(Expr e) {
    List<Token> t = e.tokens();
    List<Call> out = new ArrayList<>();
    for (int i = 0; i < t.size(); i++) {
      Token k = t.get(i);
      if (k.is("::")) {
        i = Expr.skipTypeName(t, i + 1) - 1;
        continue;
      }
      if (k.kind() != Token.Kind.WORD
          || !NAMES.contains(k.text().toLowerCase())
          || i + 1 >= t.size()
          || !t.get(i + 1).is("(")
          || (i > 0 && t.get(i - 1).is("."))) {
        continue;
      }
      String name = k.text().toLowerCase();
      int close = Expr.closing(t, i + 1);
      List<Token> args = t.subList(i + 2, close);
      Expr arg;
      if (args.size() == 1 && args.get(0).is("*")) {
        arg = null;
      } else {
        if (args.isEmpty()) {
          throw new SqlSyntaxException("aggregate without argument", k.offset());
        }
        if (args.get(0).isWord("distinct")) {
          throw new Unsupported("DISTINCT aggregate", name + "(DISTINCT ...)");
        }
        if (topLevel(args, "order")) {
          throw new Unsupported("ORDER BY in aggregate", name);
        }
        if (topLevelComma(args)) {
          throw new Unsupported("aggregate with several arguments", name);
        }
        args = args.get(0).isWord("all") ? args.subList(1, args.size()) : args;
        arg = new Expr(args);
      }
      int end = close + 1;
      Expr filter = null;
      if (end + 1 < t.size() && t.get(end).isWord("filter") && t.get(end + 1).is("(")) {
        int fclose = Expr.closing(t, end + 1);
        if (!t.get(end + 2).isWord("where")) {
          throw new SqlSyntaxException("expected WHERE in FILTER", t.get(end + 2).offset());
        }
        filter = new Expr(t.subList(end + 3, fclose));
        end = fclose + 1;
      }
      if (end < t.size() && t.get(end).isWord("over")) {
        throw new Unsupported("window function", name + "(...) OVER");
      }
      out.add(new Call(i, end, name, arg, filter));
      i = end - 1;
    }
    return out;
  }

  private static boolean topLevel(List<Token> t, String word) {
    for (int i = 0; i < t.size(); i++) {
      if (t.get(i).is("(") || t.get(i).is("[")) {
        i = Expr.closing(t, i);
      } else if (t.get(i).isWord(word)) {
        return true;
      }
    }
    return false;
  }

  private static boolean topLevelComma(List<Token> t) {
    for (int i = 0; i < t.size(); i++) {
      if (t.get(i).is("(") || t.get(i).is("[")) {
        i = Expr.closing(t, i);
      } else if (t.get(i).is(",")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks the expression has no construct that the engine cannot evaluate on a change: a subquery
   * (EXISTS, IN (SELECT ...), scalar subquery) or a window function.
   */
  public static void checkPlain(Expr e) {
    List<Token> t = e.tokens();
    for (int i = 0; i < t.size(); i++) {
      Token k = t.get(i);
      if (k.isWord("select")) {
        throw new Unsupported("subquery in an expression");
      }
      if (k.isWord("over")
          && i > 0
          && t.get(i - 1).is(")")
          && i + 1 < t.size()
          && (t.get(i + 1).is("(") || t.get(i + 1).isIdentifier())) {
        throw new Unsupported("window function");
      }
    }
  }

  /**
   * Spans of {@code haystack} whose tokens equal {@code needle}'s (outer parentheses of the needle
   * ignored), not overlapping any of {@code taken}.
   */
  public static List<int[]> occurrences(Expr haystack, Expr needle, List<int[]> taken) {
    List<Token> n = stripParens(needle.tokens());
    List<Token> h = haystack.tokens();
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i + n.size() <= h.size(); i++) {
      boolean match = true;
      for (int j = 0; j < n.size() && match; j++) {
        match = sameToken(h.get(i + j), n.get(j));
      }
      if (!match) {
        continue;
      }
      int s = i;
      int en = i + n.size();
      boolean free = true;
      for (int[] span : taken) {
        if (s < span[1] && en > span[0]) {
          free = false;
        }
      }
      for (int[] span : out) {
        if (s < span[1] && en > span[0]) {
          free = false;
        }
      }
      // A match must not be just part of a longer qualified name: "a.b" in "x.a.b".
      if (free && s > 0 && h.get(s - 1).is(".")) {
        free = false;
      }
      if (free && en < h.size() && (h.get(en).is(".") || h.get(en).is("("))) {
        free = false;
      }
      if (free) {
        out.add(new int[] {s, en});
        i = en - 1;
      }
    }
    return out;
  }

  private static boolean sameToken(Token a, Token b) {
    if (a.kind() == Token.Kind.WORD && b.kind() == Token.Kind.WORD) {
      return a.text().equalsIgnoreCase(b.text());
    }
    return a.kind() == b.kind() && a.text().equals(b.text());
  }

  static List<Token> stripParens(List<Token> t) {
    while (t.size() >= 2 && t.get(0).is("(") && Expr.closing(t, 0) == t.size() - 1) {
      t = t.subList(1, t.size() - 1);
    }
    return t;
  }
}
