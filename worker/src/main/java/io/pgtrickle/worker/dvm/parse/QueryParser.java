package io.pgtrickle.worker.dvm.parse;

import io.pgtrickle.worker.dvm.parse.QueryAst.FromItem;
import io.pgtrickle.worker.dvm.parse.QueryAst.Join;
import io.pgtrickle.worker.dvm.parse.QueryAst.JoinType;
import io.pgtrickle.worker.dvm.parse.QueryAst.Select;
import io.pgtrickle.worker.dvm.parse.QueryAst.SubqueryRef;
import io.pgtrickle.worker.dvm.parse.QueryAst.TableRef;
import io.pgtrickle.worker.dvm.parse.QueryAst.Target;
import io.pgtrickle.worker.dvm.parse.QueryAst.UnionAll;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads the query text {@code pg_get_viewdef(view, false)} prints into a {@link QueryAst}. That
 * text is regular (every column qualified inside a subquery, operators parenthesized), so a small
 * recursive-descent reader suffices; constructs the engine does not maintain raise {@link
 * Unsupported} with the construct's name, anything unreadable {@link SqlSyntaxException}.
 */
public final class QueryParser {

  /** Words that end an expression at parenthesis depth 0. */
  private static final Set<String> CLAUSE_WORDS =
      Set.of(
          "from",
          "where",
          "group",
          "having",
          "window",
          "union",
          "intersect",
          "except",
          "order",
          "limit",
          "offset",
          "fetch",
          "for",
          "as",
          "on",
          "using",
          "join",
          "inner",
          "left",
          "right",
          "full",
          "cross",
          "natural");

  private final List<Token> t;
  private int pos;

  private QueryParser(List<Token> tokens) {
    this.t = tokens;
  }

  /** Parses a whole query; trailing {@code ;} is allowed. */
  public static QueryAst parse(String sql) {
    QueryParser p = new QueryParser(SqlLexer.tokenize(sql));
    QueryAst q = p.query();
    if (p.peekIs(";")) {
      p.pos++;
    }
    if (p.pos < p.t.size()) {
      throw p.error("unexpected '" + p.t.get(p.pos).text() + "'");
    }
    return q;
  }

  private QueryAst query() {
    if (peekWord("with")) {
      throw new Unsupported("WITH query (CTE)");
    }
    QueryAst q = setOperand();
    while (peekWord("union") || peekWord("intersect") || peekWord("except")) {
      String op = t.get(pos++).text().toUpperCase();
      boolean all = acceptWord("all");
      if (!all) {
        acceptWord("distinct");
      }
      if (!op.equals("UNION") || !all) {
        throw new Unsupported(op + (all ? " ALL" : ""));
      }
      q = new UnionAll(q, setOperand());
    }
    if (peekWord("order")) {
      // ORDER BY does not change which rows a table holds: skipped.
      pos++;
      expectWord("by");
      list(() -> expr(Set.of("limit", "offset", "fetch", "for")));
    }
    if (peekWord("limit") || peekWord("offset") || peekWord("fetch")) {
      throw new Unsupported(peekWord("offset") ? "OFFSET" : "LIMIT");
    }
    if (peekWord("for")) {
      throw new Unsupported("FOR UPDATE/SHARE");
    }
    return q;
  }

  private QueryAst setOperand() {
    if (peekIs("(")) {
      pos++;
      QueryAst q = query();
      expect(")");
      return q;
    }
    if (peekWord("values")) {
      throw new Unsupported("VALUES list");
    }
    if (peekWord("table")) {
      throw new Unsupported("TABLE statement");
    }
    return select();
  }

  private Select select() {
    expectWord("select");
    boolean distinct = false;
    if (acceptWord("distinct")) {
      if (peekWord("on")) {
        throw new Unsupported("DISTINCT ON");
      }
      distinct = true;
    } else {
      acceptWord("all");
    }
    List<Target> targets = new ArrayList<>();
    if (!peekWord("from") && !atQueryEnd()) {
      targets = list(this::target);
    }
    List<FromItem> from = new ArrayList<>();
    if (acceptWord("from")) {
      from = list(this::fromItem);
    }
    Expr where = acceptWord("where") ? expr(Set.of()) : null;
    List<Expr> groupBy = new ArrayList<>();
    if (acceptWord("group")) {
      expectWord("by");
      if (peekWord("grouping") || peekWord("rollup") || peekWord("cube")) {
        throw new Unsupported("GROUPING SETS");
      }
      acceptWord("all");
      groupBy = list(() -> expr(Set.of()));
      for (Expr g : groupBy) {
        if (g.tokens().get(0).isWord("grouping")
            || g.tokens().get(0).isWord("rollup")
            || g.tokens().get(0).isWord("cube")
            || (g.tokens().get(0).is("(")
                && g.tokens().get(g.tokens().size() - 1).is(")")
                && g.tokens().size() == 2)) {
          throw new Unsupported("GROUPING SETS");
        }
      }
    }
    Expr having = acceptWord("having") ? expr(Set.of()) : null;
    if (peekWord("window")) {
      throw new Unsupported("window function");
    }
    return new Select(distinct, targets, from, where, groupBy, having);
  }

  private boolean atQueryEnd() {
    return pos >= t.size() || peekIs(")") || peekIs(";");
  }

  private Target target() {
    Expr e = expr(Set.of());
    String alias = null;
    if (acceptWord("as")) {
      alias = identifier();
    } else if (pos < t.size() && t.get(pos).isIdentifier() && !isClauseWord(t.get(pos))) {
      alias = identifier();
    }
    return new Target(e, alias);
  }

  private FromItem fromItem() {
    FromItem left = fromPrimary();
    while (true) {
      JoinType type;
      if (acceptWord("natural")) {
        throw new Unsupported("NATURAL JOIN");
      } else if (acceptWord("cross")) {
        type = JoinType.CROSS;
      } else if (acceptWord("inner")) {
        type = JoinType.INNER;
      } else if (acceptWord("left")) {
        type = JoinType.LEFT;
      } else if (acceptWord("right")) {
        type = JoinType.RIGHT;
      } else if (acceptWord("full")) {
        type = JoinType.FULL;
      } else if (peekWord("join")) {
        type = JoinType.INNER;
      } else {
        return left;
      }
      acceptWord("outer");
      expectWord("join");
      FromItem right = fromPrimary();
      Expr on = null;
      List<String> using = List.of();
      if (type != JoinType.CROSS) {
        if (acceptWord("on")) {
          on = expr(Set.of());
        } else if (acceptWord("using")) {
          expect("(");
          using = list(this::identifier);
          expect(")");
          if (peekWord("as")) {
            throw new Unsupported("JOIN USING alias");
          }
        } else {
          throw error("expected ON or USING");
        }
      }
      left = new Join(type, left, right, on, using);
    }
  }

  private FromItem fromPrimary() {
    if (peekWord("lateral")) {
      // LATERAL func(...) is a set-returning function; LATERAL (SELECT ...) a lateral subquery.
      boolean function = pos + 1 < t.size() && t.get(pos + 1).isIdentifier();
      throw new Unsupported(function ? "set-returning function" : "LATERAL");
    }
    if (peekWord("only")) {
      throw new Unsupported("ONLY (inheritance)");
    }
    if (peekWord("rows") && pos + 1 < t.size() && t.get(pos + 1).isWord("from")) {
      throw new Unsupported("set-returning function");
    }
    if (peekIs("(")) {
      int close = Expr.closing(t, pos);
      QueryAst q = null;
      if (startsQuery(pos + 1)) {
        // "((SELECT ...) q JOIN d ON ...)" starts like a subquery: try, and fall back to a join.
        int save = pos;
        try {
          pos++;
          QueryAst candidate = query();
          if (pos == close) {
            q = candidate;
          }
        } catch (SqlSyntaxException notAQuery) {
          q = null;
        }
        if (q == null) {
          pos = save;
        }
      }
      if (q != null) {
        expect(")");
        acceptWord("as");
        if (!(pos < t.size() && t.get(pos).isIdentifier() && !isClauseWord(t.get(pos)))) {
          throw error("a subquery in FROM needs an alias");
        }
        String alias = identifier();
        return new SubqueryRef(q, alias, columnAliases());
      }
      pos++;
      FromItem inner = fromItem();
      expect(")");
      if (pos < t.size()
          && (peekWord("as") || (t.get(pos).isIdentifier() && !isClauseWord(t.get(pos))))) {
        throw new Unsupported("join alias");
      }
      return inner;
    }
    String first = identifier();
    String schema = null;
    String name = first;
    if (peekIs(".")) {
      pos++;
      schema = first;
      name = identifier();
      if (peekIs(".")) {
        throw new Unsupported("cross-database reference");
      }
    }
    if (peekIs("(")) {
      throw new Unsupported("set-returning function");
    }
    if (peekWord("tablesample")) {
      throw new Unsupported("TABLESAMPLE");
    }
    String alias = null;
    if (acceptWord("as")
        || (pos < t.size() && t.get(pos).isIdentifier() && !isClauseWord(t.get(pos)))) {
      alias = identifier();
    }
    return new TableRef(schema, name, alias, columnAliases());
  }

  private List<String> columnAliases() {
    if (!peekIs("(")) {
      return List.of();
    }
    pos++;
    List<String> names = list(this::identifier);
    expect(")");
    return names;
  }

  private boolean startsQuery(int i) {
    while (i < t.size() && t.get(i).is("(")) {
      i++;
    }
    return i < t.size()
        && (t.get(i).isWord("select")
            || t.get(i).isWord("with")
            || t.get(i).isWord("values")
            || t.get(i).isWord("table"));
  }

  /**
   * An expression up to the next top-level comma, closing parenthesis, clause word or one of {@code
   * stopWords}. {@code IS [NOT] DISTINCT FROM} does not end it.
   */
  private Expr expr(Set<String> stopWords) {
    int start = pos;
    while (pos < t.size()) {
      Token k = t.get(pos);
      if (k.is("(") || k.is("[")) {
        pos = Expr.closing(t, pos) + 1;
        continue;
      }
      if (k.is(",") || k.is(")") || k.is("]") || k.is(";")) {
        break;
      }
      if (k.kind() == Token.Kind.WORD) {
        String w = k.text().toLowerCase();
        boolean distinctFrom = w.equals("from") && pos > start && t.get(pos - 1).isWord("distinct");
        if (!distinctFrom && (CLAUSE_WORDS.contains(w) || stopWords.contains(w))) {
          break;
        }
      }
      pos++;
    }
    if (pos == start) {
      throw error("expected an expression");
    }
    return new Expr(t.subList(start, pos));
  }

  private <T> List<T> list(java.util.function.Supplier<T> item) {
    List<T> out = new ArrayList<>();
    out.add(item.get());
    while (peekIs(",")) {
      pos++;
      out.add(item.get());
    }
    return out;
  }

  private String identifier() {
    if (pos >= t.size() || !t.get(pos).isIdentifier()) {
      throw error("expected an identifier");
    }
    return t.get(pos++).identifierName();
  }

  private static boolean isClauseWord(Token k) {
    return k.kind() == Token.Kind.WORD && CLAUSE_WORDS.contains(k.text().toLowerCase());
  }

  private boolean peekIs(String symbol) {
    return pos < t.size() && t.get(pos).is(symbol);
  }

  private boolean peekWord(String w) {
    return pos < t.size() && t.get(pos).isWord(w);
  }

  private boolean acceptWord(String w) {
    if (peekWord(w)) {
      pos++;
      return true;
    }
    return false;
  }

  private void expectWord(String w) {
    if (!acceptWord(w)) {
      throw error("expected " + w.toUpperCase());
    }
  }

  private void expect(String symbol) {
    if (!peekIs(symbol)) {
      throw error("expected '" + symbol + "'");
    }
    pos++;
  }

  private SqlSyntaxException error(String message) {
    int offset =
        pos < t.size() ? t.get(pos).offset() : (t.isEmpty() ? 0 : t.get(t.size() - 1).offset());
    return new SqlSyntaxException(message, offset);
  }
}
