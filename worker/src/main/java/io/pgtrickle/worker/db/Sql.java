package io.pgtrickle.worker.db;

/** Quoting of SQL identifiers: the one place where names are put into statement text. */
public final class Sql {

  private Sql() {}

  /**
   * Quotes an identifier the way {@code quote_ident} does when quoting is needed, always.
   *
   * @param name a schema, table or column name as stored in the catalog
   * @return {@code "name"} with embedded double quotes doubled
   */
  public static String ident(String name) {
    if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not an identifier: '" + name + "'");
    }
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /**
   * A schema-qualified, quoted name.
   *
   * @param schema the schema
   * @param name the relation
   * @return {@code "schema"."name"}
   */
  public static String qualified(String schema, String name) {
    return ident(schema) + "." + ident(name);
  }

  /**
   * A statement's text for a driver's prepared statement, where an unquoted {@code ?} is a
   * parameter placeholder: every {@code ?} outside string literals, quoted identifiers and comments
   * doubled ({@code ??}, the driver's escape for an operator such as jsonb's {@code ?}).
   *
   * @param sql a statement without placeholders (e.g. a query as {@code pg_get_viewdef} writes it:
   *     literals with doubled quotes)
   * @return the text to prepare
   */
  public static String withoutPlaceholders(String sql) {
    StringBuilder out = new StringBuilder(sql.length());
    int i = 0;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      int end = i + 1;
      if (c == '\'' || c == '"') {
        end = sql.indexOf(c, i + 1);
        end = end < 0 ? sql.length() : end + 1; // a doubled quote is two quoted parts in a row
      } else if (c == '-' && sql.startsWith("--", i)) {
        end = sql.indexOf('\n', i);
        end = end < 0 ? sql.length() : end;
      } else if (c == '/' && sql.startsWith("/*", i)) {
        end = sql.indexOf("*/", i);
        end = end < 0 ? sql.length() : end + 2;
      } else if (c == '?') {
        out.append('?');
      }
      out.append(sql, i, end);
      i = end;
    }
    return out.toString();
  }

  /**
   * The change buffer of a source: {@code pgtrickle_changes.changes_<oid>} (CONTRACTS.md §3).
   *
   * @param sourceOid the source table's OID
   * @return the quoted, qualified name
   */
  public static String changeBuffer(long sourceOid) {
    return "pgtrickle_changes." + ident("changes_" + sourceOid);
  }
}
