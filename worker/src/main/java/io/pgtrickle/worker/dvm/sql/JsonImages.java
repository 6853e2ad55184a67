package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.TypeRef;

/**
 * How a change image holds a json-valued column (json, jsonb, json[], jsonb[], a domain over one of
 * them), and the SQL that reads it back.
 *
 * <p>Images whose event said {@code json_text} (the cdc-consumer since 2026-12-07) carry the key
 * {@link #MARKER}; their json-valued columns hold the value's text as PostgreSQL printed it (a JSON
 * string) or JSON {@code null} for SQL NULL, read back through the type's input function, so a JSON
 * {@code null} stays a JSON {@code null}, json keeps its text as stored and a {@code jsonb[]} keeps
 * its {@code null} elements. Images without the marker (events written before, or by other
 * producers) hold parsed JSON and are read as they always were, by {@code jsonb_to_record}, which
 * turns a JSON {@code null} into SQL NULL: the old encoding cannot tell them apart.
 */
public final class JsonImages {

  /**
   * The key that marks an image whose json-valued columns hold their text. No column is named so:
   * the {@code __pgt_} prefix is the engine's.
   */
  public static final String MARKER = "__pgt_json_text";

  private JsonImages() {}

  /**
   * The expression reading column {@code column} of type {@code type} from {@code v.__pgt_row}. The
   * old decoding is a subquery, evaluated only for images without the marker.
   *
   * @param column the column name
   * @param type its type, {@link TypeRef#jsonValued()}
   * @return the SQL expression
   */
  static String decode(String column, TypeRef type) {
    String ident = Sql.ident(column);
    return "CASE WHEN pg_catalog.jsonb_exists(v.__pgt_row, "
        + Sql.literal(MARKER)
        + ") THEN "
        + SourceDeltaSql.textInput(column, type)
        + " ELSE (SELECT o."
        + ident
        + " FROM jsonb_to_record(v.__pgt_row) AS o("
        + ident
        + " "
        + type.sqlName()
        + ")) END";
  }
}
