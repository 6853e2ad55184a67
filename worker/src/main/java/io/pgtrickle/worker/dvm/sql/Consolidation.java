package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.TypeRef;
import java.util.ArrayList;
import java.util.List;

/**
 * Column handling where rows are grouped or compared as contents. Equality is not identity for
 * every type (numeric 1.0 = 1.00, float -0 = 0, interval '1 day' = '24 hours', jsonb numbers,
 * nondeterministic collations): there the text form is compared too, so that a change of
 * representation is a change, as a recomputation would show it.
 */
public final class Consolidation {

  private Consolidation() {}

  /** GROUP BY entries for a column {@code ref} of type {@code type}. */
  public static List<String> groupBy(String ref, TypeRef type) {
    List<String> out = new ArrayList<>();
    if (type.orderable() || type.hashable()) {
      out.add(ref);
      if (!type.exactEquality()) {
        out.add("(" + ref + ")::text");
      }
    } else {
      out.add("(" + ref + ")::text");
    }
    return out;
  }

  /** The select-list entry for a grouped column (aggregated when its type has no equality). */
  public static String select(String ref, TypeRef type) {
    return type.orderable() || type.hashable() ? ref : "(array_agg(" + ref + "))[1]";
  }

  /** {@code a} and {@code b} are the same value, exactly (NULLs equal). */
  public static String same(String a, String b, TypeRef type) {
    if (type.exactEquality()) {
      return a + " IS NOT DISTINCT FROM " + b;
    }
    if (type.orderable() || type.hashable()) {
      return "("
          + a
          + " IS NOT DISTINCT FROM "
          + b
          + " AND ("
          + a
          + ")::text IS NOT DISTINCT FROM ("
          + b
          + ")::text)";
    }
    return "(" + a + ")::text IS NOT DISTINCT FROM (" + b + ")::text";
  }

  /** {@code a} and {@code b} differ (the negation of {@link #same}). */
  public static String differs(String a, String b, TypeRef type) {
    return "NOT (" + same(a, b, type) + ")";
  }

  /** The type-aware hash of a row of values: {@code hash_record_extended(ROW(...), 0)}. */
  public static String hash(List<String> values) {
    if (values.isEmpty()) {
      return "0::bigint";
    }
    return "hash_record_extended(ROW(" + String.join(", ", values) + "), 0)";
  }
}
