package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.parse.SqlLexer;
import io.pgtrickle.worker.dvm.parse.Token;
import java.util.List;
import java.util.Set;

/**
 * Lays generated SQL out on lines for people (explain output, golden files): a new line, indented
 * by parenthesis depth, before each clause keyword and between common table expressions. The tokens
 * are unchanged.
 */
public final class SqlFormatter {

  private static final Set<String> BREAK_BEFORE =
      Set.of(
          "select", "from", "where", "group", "having", "union", "when", "merge", "insert",
          "delete", "update", "values", "cross", "left", "inner");

  private SqlFormatter() {}

  public static String format(String sql) {
    List<Token> t = SqlLexer.tokenize(sql);
    StringBuilder sb = new StringBuilder();
    int depth = 0;
    Token prev = null;
    for (int i = 0; i < t.size(); i++) {
      Token k = t.get(i);
      boolean cteStart =
          prev != null
              && prev.is(",")
              && depth == 0
              && i + 2 < t.size()
              && t.get(i + 1).isWord("as")
              && (t.get(i + 2).is("(") || t.get(i + 2).isWord("materialized"));
      boolean clause =
          k.kind() == Token.Kind.WORD
              && BREAK_BEFORE.contains(k.text().toLowerCase())
              && prev != null
              && !prev.is("(")
              && !(k.isWord("select") && prev.isWord("all") && false)
              && !(k.isWord("from") && prev.isWord("distinct"))
              && !(k.isWord("left") && prev.isWord("cross"))
              && !(k.isWord("update") && prev.isWord("for"));
      if (prev != null && (cteStart || clause)) {
        sb.append('\n').append("  ".repeat(depth));
      } else if (prev != null && spaced(prev, k)) {
        sb.append(' ');
      }
      sb.append(k.text());
      if (k.is("(") || k.is("[")) {
        depth++;
      } else if (k.is(")") || k.is("]")) {
        depth--;
      }
      prev = k;
    }
    return sb.toString();
  }

  private static boolean spaced(Token a, Token b) {
    if (b.is(",") || b.is(")") || b.is("]") || b.is(".") || b.is("::") || b.is("[")) {
      return false;
    }
    if (a.is("(") || a.is("[") || a.is(".") || a.is("::")) {
      return false;
    }
    return !(b.is("(") && a.isIdentifier() && !KEEP_SPACE.contains(a.text().toLowerCase()));
  }

  /** Keywords followed by a parenthesis that read better with a space. */
  private static final Set<String> KEEP_SPACE =
      Set.of(
          "and",
          "or",
          "not",
          "in",
          "as",
          "on",
          "exists",
          "values",
          "using",
          "lateral",
          "from",
          "join",
          "where",
          "when",
          "then",
          "else",
          "any",
          "all",
          "some",
          "filter",
          "over",
          "is",
          "select",
          "case",
          "distinct",
          "by",
          "into",
          "array",
          "set");
}
