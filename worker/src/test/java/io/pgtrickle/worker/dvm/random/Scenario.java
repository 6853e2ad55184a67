package io.pgtrickle.worker.dvm.random;

import java.util.List;

/**
 * One randomized case: a schema variant, a defining query, the sources' initial rows and batches of
 * transactions applied between refreshes.
 *
 * @param variant the schema variant ({@link Schemas})
 * @param query the defining query, {@code {S}} standing for the schema
 * @param initial writes before the stream table is created
 * @param batches each batch: transactions (each: writes) followed by one refresh
 */
public record Scenario(int variant, String query, List<Op> initial, List<List<List<Op>>> batches) {

  /** The query for the variant's schema. */
  public String sql() {
    return query.replace("{S}", Schemas.schema(variant));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("variant ").append(variant).append(": ").append(sql());
    String s = Schemas.schema(variant);
    sb.append("\n  initial:");
    initial.forEach(o -> sb.append("\n    ").append(o.sql(s)).append(';'));
    for (int b = 0; b < batches.size(); b++) {
      sb.append("\n  batch ").append(b + 1).append(':');
      for (List<Op> tx : batches.get(b)) {
        sb.append("\n    BEGIN;");
        tx.forEach(o -> sb.append(' ').append(o.sql(s)).append(';'));
        sb.append(" COMMIT;");
      }
    }
    return sb.toString();
  }
}
