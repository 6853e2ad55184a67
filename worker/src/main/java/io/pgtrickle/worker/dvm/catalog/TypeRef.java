package io.pgtrickle.worker.dvm.catalog;

/**
 * A column or expression type as PostgreSQL resolved it, with the properties the engine's generated
 * SQL depends on.
 *
 * @param oid the type's oid
 * @param typmod the type modifier (-1: none), e.g. numeric(10,2)
 * @param collation the collation oid (0: not collatable)
 * @param sqlName {@code format_type(oid, typmod)}, usable in casts and DDL
 * @param family what kind of number it is, for aggregate maintenance
 * @param exactEquality equality implies identical values (btree "equalimage", deterministic
 *     collation): false for numeric (1.0 = 1.00), float (-0 = 0), interval, jsonb...
 * @param orderable has a default btree operator class (GROUP BY, DISTINCT, MIN/MAX)
 * @param hashable has a default hash operator class ({@code hash_record_extended})
 * @param collationSql the collation as SQL ({@code "pg_catalog"."C"}) when it is not the type's
 *     default, else null
 * @param jsonValued json, jsonb, json[], jsonb[] or a domain over one of them: read from a change
 *     image by its text (a JSON {@code null} is not SQL NULL), see {@code SourceDeltaSql}
 */
public record TypeRef(
    long oid,
    int typmod,
    long collation,
    String sqlName,
    Family family,
    boolean exactEquality,
    boolean orderable,
    boolean hashable,
    String collationSql,
    boolean jsonValued) {

  /** Number families the aggregate rules distinguish. */
  public enum Family {
    /** smallint, integer, bigint. */
    INTEGER,
    /** numeric. */
    NUMERIC,
    /** real, double precision: sums are recomputed, never maintained by addition. */
    FLOAT,
    OTHER
  }

  /** Type oids of the built-in types the engine names. */
  public static final long INT2 = 21;

  public static final long INT4 = 23;
  public static final long INT8 = 20;
  public static final long NUMERIC_OID = 1700;
  public static final long FLOAT4 = 700;
  public static final long FLOAT8 = 701;

  /** True for numeric without a fixed scale: sums must track the largest input scale. */
  public boolean numericWithoutScale() {
    return family == Family.NUMERIC && typmod < 0;
  }
}
