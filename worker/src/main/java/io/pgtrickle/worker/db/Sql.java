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
   * The change buffer of a source: {@code pgtrickle_changes.changes_<oid>} (CONTRACTS.md §3).
   *
   * @param sourceOid the source table's OID
   * @return the quoted, qualified name
   */
  public static String changeBuffer(long sourceOid) {
    return "pgtrickle_changes." + ident("changes_" + sourceOid);
  }
}
