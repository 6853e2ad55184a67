package io.pgtrickle.worker.dvm.sql;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one place identifiers are quoted. Every table, column and alias name the engine writes into
 * SQL goes through {@link #ident}; values are never spliced, they are bound as parameters.
 */
public final class Sql {

  private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_]*");

  /**
   * PostgreSQL's keywords that are not "unreserved" (reserved, column-name and type/function-name
   * keywords, PostgreSQL 14-18): quoted even when lower case.
   */
  private static final Set<String> KEYWORDS =
      Set.of(
          "all",
          "analyse",
          "analyze",
          "and",
          "any",
          "array",
          "as",
          "asc",
          "asymmetric",
          "authorization",
          "between",
          "bigint",
          "binary",
          "bit",
          "boolean",
          "both",
          "case",
          "cast",
          "char",
          "character",
          "check",
          "coalesce",
          "collate",
          "collation",
          "column",
          "concurrently",
          "constraint",
          "create",
          "cross",
          "current_catalog",
          "current_date",
          "current_role",
          "current_schema",
          "current_time",
          "current_timestamp",
          "current_user",
          "dec",
          "decimal",
          "default",
          "deferrable",
          "desc",
          "distinct",
          "do",
          "else",
          "end",
          "except",
          "exists",
          "extract",
          "false",
          "fetch",
          "float",
          "for",
          "foreign",
          "freeze",
          "from",
          "full",
          "grant",
          "greatest",
          "group",
          "grouping",
          "having",
          "ilike",
          "in",
          "initially",
          "inner",
          "inout",
          "int",
          "integer",
          "intersect",
          "interval",
          "into",
          "is",
          "isnull",
          "join",
          "json",
          "json_array",
          "json_arrayagg",
          "json_exists",
          "json_object",
          "json_objectagg",
          "json_query",
          "json_scalar",
          "json_serialize",
          "json_table",
          "json_value",
          "lateral",
          "leading",
          "least",
          "left",
          "like",
          "limit",
          "localtime",
          "localtimestamp",
          "merge_action",
          "national",
          "natural",
          "nchar",
          "none",
          "normalize",
          "not",
          "notnull",
          "null",
          "nullif",
          "numeric",
          "offset",
          "on",
          "only",
          "or",
          "order",
          "out",
          "outer",
          "overlaps",
          "overlay",
          "placing",
          "position",
          "precision",
          "primary",
          "real",
          "references",
          "returning",
          "right",
          "row",
          "select",
          "session_user",
          "setof",
          "similar",
          "smallint",
          "some",
          "substring",
          "symmetric",
          "system_user",
          "table",
          "tablesample",
          "then",
          "time",
          "timestamp",
          "to",
          "trailing",
          "treat",
          "trim",
          "true",
          "union",
          "unique",
          "user",
          "using",
          "values",
          "varchar",
          "variadic",
          "verbose",
          "when",
          "where",
          "window",
          "with",
          "xmlattributes",
          "xmlconcat",
          "xmlelement",
          "xmlexists",
          "xmlforest",
          "xmlnamespaces",
          "xmlparse",
          "xmlpi",
          "xmlroot",
          "xmlserialize",
          "xmltable");

  private Sql() {}

  /** {@code name} as an SQL identifier: quoted unless it is a plain lower-case non-keyword. */
  public static String ident(String name) {
    if (name.isEmpty()) {
      throw new IllegalArgumentException("empty identifier");
    }
    if (PLAIN.matcher(name).matches() && !KEYWORDS.contains(name)) {
      return name;
    }
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /**
   * {@code value} as an SQL string literal ({@code E'...'} when it holds a backslash, so that its
   * meaning does not depend on {@code standard_conforming_strings}).
   */
  public static String literal(String value) {
    String quoted = value.replace("'", "''");
    return value.indexOf('\\') >= 0
        ? "E'" + quoted.replace("\\", "\\\\") + "'"
        : "'" + quoted + "'";
  }

  /** {@code schema.name}, each part through {@link #ident}. */
  public static String qualified(String schema, String name) {
    return schema == null ? ident(name) : ident(schema) + "." + ident(name);
  }

  /** {@code alias.column}, each part through {@link #ident}. */
  public static String column(String alias, String column) {
    return ident(alias) + "." + ident(column);
  }
}
