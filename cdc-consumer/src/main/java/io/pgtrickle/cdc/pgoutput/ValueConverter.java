package io.pgtrickle.cdc.pgoutput;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a column's text output into the value a change event carries, by type OID. The mapping
 * (documented in the module README) keeps every value exact:
 *
 * <ul>
 *   <li>int2, int4, int8, oid: {@link Long};
 *   <li>numeric, float4, float8: {@link BigDecimal} from PostgreSQL's own digits ({@code NaN},
 *       infinities and a float's negative zero {@code -0} stay strings, BigDecimal has no such
 *       values; until 2026-12-07 {@code -0} became 0);
 *   <li>bool: {@link Boolean};
 *   <li>timestamp: ISO-8601 local date-time string; timestamptz: ISO-8601 UTC instant string
 *       ({@code ...Z}); date, time, timetz, uuid, text, varchar, char and every other type: the
 *       text as PostgreSQL prints it;
 *   <li>json, jsonb, json[], jsonb[]: the text as PostgreSQL prints it, like every type not named
 *       here (since 2026-12-07; before, json and jsonb were parsed into {@link Map} / {@link List},
 *       which made a JSON {@code null} SQL NULL and lost json's whitespace, key order and duplicate
 *       keys). The events of a table with such a column, or one of a user-defined type, say so
 *       ({@link io.pgtrickle.changelog.ChangeEvent#jsonText()}, {@link #jsonText(int)});
 *   <li>bytea: base64 string;
 *   <li>one-dimensional arrays of the types above: {@link List} of converted elements (multi-
 *       dimensional arrays: nested lists).
 * </ul>
 */
public final class ValueConverter {

  static final int BOOL = 16;
  static final int BYTEA = 17;
  static final int INT8 = 20;
  static final int INT2 = 21;
  static final int INT4 = 23;
  static final int OID = 26;
  static final int JSON = 114;
  static final int FLOAT4 = 700;
  static final int FLOAT8 = 701;
  static final int TIMESTAMP = 1114;
  static final int TIMESTAMPTZ = 1184;
  static final int NUMERIC = 1700;
  static final int JSONB = 3802;
  static final int JSON_ARRAY = 199;
  static final int JSONB_ARRAY = 3807;

  /** Array type OID to element type OID, for the built-in types converted above plus text. */
  private static final Map<Integer, Integer> ARRAY_ELEMENTS =
      Map.ofEntries(
          Map.entry(1000, BOOL),
          Map.entry(1001, BYTEA),
          Map.entry(1005, INT2),
          Map.entry(1007, INT4),
          Map.entry(1016, INT8),
          Map.entry(1028, OID),
          Map.entry(1021, FLOAT4),
          Map.entry(1022, FLOAT8),
          Map.entry(1115, TIMESTAMP),
          Map.entry(1185, TIMESTAMPTZ),
          Map.entry(1231, NUMERIC),
          // Text-like element types: the element text is the value.
          Map.entry(1009, 25), // text[]
          Map.entry(1015, 1043), // varchar[]
          Map.entry(1014, 1042), // bpchar[]
          Map.entry(1003, 19), // name[]
          Map.entry(2951, 2950), // uuid[]
          Map.entry(1182, 1082), // date[]
          Map.entry(1183, 1083)); // time[]

  private ValueConverter() {}

  /** The first OID of user-defined objects ({@code FirstNormalObjectId}). */
  private static final int FIRST_NORMAL_OID = 16384;

  /**
   * Whether a column of this type makes its table's events {@link
   * io.pgtrickle.changelog.ChangeEvent#jsonText() json_text}: json, jsonb and arrays of them, and
   * user-defined types (a domain over json or jsonb, an array of one), all carried as text.
   *
   * @param typeOid the column's type OID
   * @return true if the events must say that json values are text
   */
  public static boolean jsonText(int typeOid) {
    return typeOid == JSON
        || typeOid == JSONB
        || typeOid == JSON_ARRAY
        || typeOid == JSONB_ARRAY
        || Integer.toUnsignedLong(typeOid) >= FIRST_NORMAL_OID;
  }

  /**
   * Converts one non-NULL value.
   *
   * @param typeOid the column's type OID from the Relation message
   * @param text the value's text output
   * @return the converted value
   * @throws PgOutputException if the text does not parse as its type claims
   */
  public static Object convert(int typeOid, String text) {
    try {
      return switch (typeOid) {
        case INT2, INT4, INT8, OID -> Long.parseLong(text);
        case NUMERIC, FLOAT4, FLOAT8 -> decimal(text);
        case BOOL -> "t".equals(text);
        case TIMESTAMP -> TimestampText.localIso(text);
        case TIMESTAMPTZ -> TimestampText.utcIso(text);
        case BYTEA -> ByteaText.toBase64(text);
        default -> {
          Integer element = ARRAY_ELEMENTS.get(typeOid);
          yield element == null ? text : array(element, text);
        }
      };
    } catch (RuntimeException e) {
      if (e instanceof PgOutputException p) {
        throw p;
      }
      throw new PgOutputException(
          "value of type " + typeOid + " does not parse: " + e.getMessage(), e);
    }
  }

  private static Object decimal(String text) {
    // NaN, Infinity, -Infinity: no BigDecimal for them, and a double would lie about the others.
    char last = text.charAt(text.length() - 1);
    if (last < '0' || last > '9') {
      return text;
    }
    BigDecimal value = new BigDecimal(text);
    // A float's -0 (PostgreSQL prints "-0"): BigDecimal has one zero, without a sign.
    return value.signum() == 0 && text.charAt(0) == '-' ? text : value;
  }

  private static Object array(int elementType, String text) {
    return convertElements(elementType, PgArrayText.parse(text));
  }

  private static List<Object> convertElements(int elementType, List<Object> raw) {
    List<Object> out = new ArrayList<>(raw.size());
    for (Object element : raw) {
      if (element == null) {
        out.add(null);
      } else if (element instanceof List<?> nested) {
        @SuppressWarnings("unchecked")
        List<Object> inner = (List<Object>) nested;
        out.add(convertElements(elementType, inner));
      } else {
        out.add(convert(elementType, (String) element));
      }
    }
    return out;
  }
}
