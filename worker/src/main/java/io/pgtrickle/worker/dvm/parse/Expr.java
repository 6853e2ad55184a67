package io.pgtrickle.worker.dvm.parse;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * A SQL expression kept as the exact tokens PostgreSQL printed ({@code pg_get_viewdef}), so that it
 * is written back with PostgreSQL's own meaning. The engine never re-derives an expression's
 * syntax: it only finds column references and aggregate calls and replaces whole spans.
 */
public final class Expr {

  private final List<Token> tokens;

  public Expr(List<Token> tokens) {
    if (tokens.isEmpty()) {
      throw new IllegalArgumentException("empty expression");
    }
    this.tokens = List.copyOf(tokens);
  }

  /** Parses a standalone expression text (tests, generated snippets). */
  public static Expr of(String sql) {
    return new Expr(SqlLexer.tokenize(sql));
  }

  public List<Token> tokens() {
    return tokens;
  }

  /** The expression as SQL text. */
  public String sql() {
    return render(tokens);
  }

  /** The expression with redundant outer parentheses removed, for comparing expressions. */
  public String canonical() {
    List<Token> t = tokens;
    while (t.size() >= 2 && t.get(0).is("(") && closing(t, 0) == t.size() - 1) {
      t = t.subList(1, t.size() - 1);
    }
    return render(t);
  }

  @Override
  public String toString() {
    return sql();
  }

  /**
   * Renders tokens with a space between them where SQL needs or reads well with one; never gluing
   * two operators or a word and a following word (that would change the tokens).
   */
  public static String render(List<Token> tokens) {
    StringBuilder sb = new StringBuilder();
    Token prev = null;
    for (Token t : tokens) {
      if (prev != null && spaceBetween(prev, t)) {
        sb.append(' ');
      }
      sb.append(t.text());
      prev = t;
    }
    return sb.toString();
  }

  private static boolean spaceBetween(Token a, Token b) {
    if (b.is(",") || b.is(")") || b.is("]") || b.is(".") || b.is("::") || b.is("[")) {
      return false;
    }
    if (a.is("(") || a.is("[") || a.is(".") || a.is("::")) {
      return false;
    }
    // f(x): no space between a function name and its parenthesis.
    return !(b.is("(")
        && a.isIdentifier()
        && !KEYWORDS_BEFORE_PAREN.contains(a.text().toLowerCase()));
  }

  private static final Set<String> KEYWORDS_BEFORE_PAREN =
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
          "array",
          "set");

  /** Index of the parenthesis or bracket closing the one at {@code open}. */
  public static int closing(List<Token> t, int open) {
    int depth = 0;
    for (int i = open; i < t.size(); i++) {
      Token k = t.get(i);
      if (k.is("(") || k.is("[")) {
        depth++;
      } else if (k.is(")") || k.is("]")) {
        depth--;
        if (depth == 0) {
          return i;
        }
      }
    }
    throw new SqlSyntaxException("unbalanced parentheses", t.get(open).offset());
  }

  /**
   * A column reference {@code alias.column} found in an expression.
   *
   * @param start index of the alias token
   * @param alias the qualifier as PostgreSQL resolves it
   * @param column the column name, or {@code "*"} for a whole-row reference {@code alias.*}
   */
  public record ColumnRef(int start, String alias, String column) {
    /** Index one past the reference's last token. */
    public int end() {
      return start + 3;
    }
  }

  /**
   * Column references qualified by one of {@code aliases}. Type names after {@code ::} and
   * qualified function names are skipped.
   */
  public List<ColumnRef> columnRefs(Set<String> aliases) {
    List<ColumnRef> out = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (t.is("::")) {
        i = skipTypeName(tokens, i + 1) - 1;
        continue;
      }
      if (i + 2 >= tokens.size() || !t.isIdentifier() || !tokens.get(i + 1).is(".")) {
        continue;
      }
      if (i > 0 && (tokens.get(i - 1).is(".") || tokens.get(i - 1).is("::"))) {
        continue;
      }
      Token col = tokens.get(i + 2);
      boolean call = i + 3 < tokens.size() && tokens.get(i + 3).is("(");
      if (!aliases.contains(t.identifierName()) || call) {
        continue;
      }
      if (col.isIdentifier()) {
        out.add(new ColumnRef(i, t.identifierName(), col.identifierName()));
      } else if (col.is("*")) {
        out.add(new ColumnRef(i, t.identifierName(), "*"));
      }
      i += 2;
    }
    return out;
  }

  /** Index just past the type name starting at {@code i} (after a {@code ::}). */
  public static int skipTypeName(List<Token> t, int i) {
    Set<String> typeWords =
        Set.of(
            "varying",
            "precision",
            "with",
            "without",
            "time",
            "zone",
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "second",
            "to");
    if (i < t.size() && t.get(i).isIdentifier()) {
      i++;
      while (i + 1 < t.size() && t.get(i).is(".") && t.get(i + 1).isIdentifier()) {
        i += 2;
      }
    }
    while (i < t.size()) {
      Token k = t.get(i);
      if (k.is("(") || k.is("[")) {
        i = closing(t, i) + 1;
      } else if (k.kind() == Token.Kind.WORD && typeWords.contains(k.text().toLowerCase())) {
        i++;
      } else {
        break;
      }
    }
    return i;
  }

  /** A span of tokens {@code [start, end)} to be replaced by {@code replacement}. */
  public record Replacement(int start, int end, List<Token> replacement) {
    public static Replacement ofSql(int start, int end, String sql) {
      return new Replacement(start, end, SqlLexer.tokenize(sql));
    }
  }

  /** The expression with non-overlapping spans replaced. */
  public Expr replace(List<Replacement> replacements) {
    List<Replacement> sorted = new ArrayList<>(replacements);
    sorted.sort((a, b) -> Integer.compare(a.start(), b.start()));
    List<Token> out = new ArrayList<>();
    int at = 0;
    for (Replacement r : sorted) {
      if (r.start() < at) {
        throw new IllegalArgumentException("overlapping replacements");
      }
      out.addAll(tokens.subList(at, r.start()));
      out.addAll(r.replacement());
      at = r.end();
    }
    out.addAll(tokens.subList(at, tokens.size()));
    return new Expr(out);
  }

  /** Every column reference qualified by one of {@code aliases} replaced by {@code mapper}. */
  public Expr mapColumns(Set<String> aliases, java.util.function.Function<ColumnRef, String> map) {
    List<Replacement> r = new ArrayList<>();
    for (ColumnRef c : columnRefs(aliases)) {
      r.add(Replacement.ofSql(c.start(), c.end(), map.apply(c)));
    }
    return r.isEmpty() ? this : replace(r);
  }

  /** True if any token is the keyword {@code word} (outside nothing: a plain scan). */
  public boolean containsWord(String word) {
    return tokens.stream().anyMatch(t -> t.isWord(word));
  }

  /** The tokens of {@code [from, to)} as an expression. */
  public Expr slice(int from, int to) {
    return new Expr(tokens.subList(from, to));
  }

  /** An unmodifiable view. */
  public List<Token> view() {
    return Collections.unmodifiableList(tokens);
  }
}
