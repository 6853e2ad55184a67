package io.pgtrickle.cdc.capture;

/**
 * Whether a table can be published without breaking its writers. PostgreSQL refuses {@code UPDATE}
 * and {@code DELETE} on a table that publishes them but has no replica identity ({@code 55000
 * cannot update table ... because it does not have a replica identity and publishes updates}), so
 * the consumer never adds such a table to its publication. A partitioned table is checked leaf by
 * leaf: rows live, and are updated, in the partitions. Pure, so it is unit tested.
 */
public final class ReplicaIdentity {

  private ReplicaIdentity() {}

  /**
   * The problem with one table (or leaf partition), or {@code null} if it has a usable identity.
   *
   * @param table the table the user named, {@code schema.table}
   * @param leaf the table or leaf partition checked, {@code schema.table}
   * @param replident {@code pg_class.relreplident}: {@code d} default (the primary key), {@code f}
   *     full, {@code i} an index, {@code n} nothing
   * @param hasIdentityIndex whether the index the identity needs exists and is valid (the primary
   *     key for {@code d}, the replica identity index for {@code i})
   * @return a message naming the table and the fix, or {@code null}
   */
  public static String problem(
      String table, String leaf, char replident, boolean hasIdentityIndex) {
    String what = table.equals(leaf) ? "table " + table : "partition " + leaf + " of " + table;
    String reason =
        switch (replident) {
          case 'f' -> null;
          case 'd' -> hasIdentityIndex ? null : "has no primary key (REPLICA IDENTITY DEFAULT)";
          case 'i' ->
              hasIdentityIndex
                  ? null
                  : "has REPLICA IDENTITY USING INDEX but that index is gone or not valid";
          case 'n' -> "has REPLICA IDENTITY NOTHING";
          default -> "has an unknown replica identity '" + replident + "'";
        };
    if (reason == null) {
      return null;
    }
    return what
        + " "
        + reason
        + ": published, its UPDATE and DELETE would fail (SQLSTATE 55000), so it is not captured."
        + " Give it a primary key, or run ALTER TABLE "
        + leaf
        + " REPLICA IDENTITY FULL";
  }
}
