package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.parse.SqlLexer;
import io.pgtrickle.worker.dvm.parse.Token;
import java.util.List;

/**
 * The text of a statement for PgJDBC's prepared statements, where every {@code ?} outside string
 * literals (also {@code E'..'} and dollar-quoted), quoted identifiers and comments is a bind
 * placeholder. A query's own {@code ?} operators (jsonb {@code ?}, {@code ?|}, {@code ?&},
 * geometric {@code ?-}, {@code ?#} ...) are written {@code ??}, the driver's escape, which it sends
 * as one {@code ?}. The statement is split with {@link SqlLexer} (the lexical rules the driver's
 * own parser follows); everything but the operators is copied unchanged, comments and spacing
 * included.
 */
public final class PreparedText {

  private PreparedText() {}

  /**
   * A statement without placeholders (e.g. a query as {@code pg_get_viewdef} writes it).
   *
   * @param sql the statement
   * @return the text to prepare: each {@code ?} of an operator doubled
   * @throws io.pgtrickle.worker.dvm.parse.SqlSyntaxException if {@code sql} cannot be tokenized (an
   *     unterminated literal, quoted identifier or comment)
   */
  public static String withoutPlaceholders(String sql) {
    return escape(sql, false);
  }

  /**
   * A statement whose placeholders are each written {@code ?::type} (as the engine writes them). An
   * operator is never directly followed by {@code ::} in valid SQL (a cast needs an operand on its
   * left, and PostgreSQL 14 and later have no postfix operators), so a lone {@code ?} before {@code
   * ::} is a placeholder and every other {@code ?} belongs to an operator.
   *
   * @param sql the statement
   * @return the text to prepare: placeholders kept, each {@code ?} of an operator doubled
   * @throws io.pgtrickle.worker.dvm.parse.SqlSyntaxException if {@code sql} cannot be tokenized
   */
  public static String withCastPlaceholders(String sql) {
    return escape(sql, true);
  }

  private static String escape(String sql, boolean castPlaceholders) {
    if (sql.indexOf('?') < 0) {
      return sql;
    }
    List<Token> tokens = SqlLexer.tokenize(sql);
    StringBuilder out = new StringBuilder(sql.length() + 8);
    int copied = 0;
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (t.kind() != Token.Kind.OPERATOR || t.text().indexOf('?') < 0) {
        continue;
      }
      boolean placeholder =
          castPlaceholders
              && t.text().equals("?")
              && i + 1 < tokens.size()
              && tokens.get(i + 1).is("::");
      if (!placeholder) {
        out.append(sql, copied, t.offset()).append(t.text().replace("?", "??"));
        copied = t.offset() + t.text().length();
      }
    }
    return out.append(sql, copied, sql.length()).toString();
  }
}
