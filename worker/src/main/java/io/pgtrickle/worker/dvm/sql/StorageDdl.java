package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.storage.StorageColumn;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * DDL of the storage table: creating it, or adding the bookkeeping columns and the row-id index to
 * a table created with the query's columns only (idempotent).
 */
public final class StorageDdl {

  /**
   * Room on each page for updated rows: most differential updates then stay on the page and skip
   * index maintenance (HOT).
   */
  private static final String FILLFACTOR = " WITH (fillfactor = 90)";

  private StorageDdl() {}

  /** {@code CREATE TABLE target (...)} and the index. */
  public static List<String> create(StorageLayout layout, String target, String indexName) {
    List<String> cols = new ArrayList<>();
    for (StorageColumn c : layout.columns()) {
      cols.add(Sql.ident(c.name()) + " " + c.type().sqlName() + collate(c));
    }
    return List.of(
        "CREATE TABLE " + target + " (" + String.join(", ", cols) + ")" + FILLFACTOR,
        index(layout, target, indexName));
  }

  /** {@code ALTER TABLE ... ADD COLUMN IF NOT EXISTS} for each hidden column, and the index. */
  public static List<String> ensureHidden(StorageLayout layout, String target, String indexName) {
    List<String> out = new ArrayList<>();
    for (StorageColumn c : layout.hidden()) {
      out.add(
          "ALTER TABLE "
              + target
              + " ADD COLUMN IF NOT EXISTS "
              + Sql.ident(c.name())
              + " "
              + c.type().sqlName()
              + collate(c));
    }
    out.add("ALTER TABLE " + target + " SET (fillfactor = 90)");
    out.add(index(layout, target, indexName));
    return out;
  }

  /** The row-id index, or the unique index on the identity columns (unhashed layouts). */
  private static String index(StorageLayout layout, String target, String indexName) {
    if (layout.hashed()) {
      return "CREATE INDEX IF NOT EXISTS "
          + Sql.ident(indexName)
          + " ON "
          + target
          + " ("
          + StorageLayout.ROW_ID
          + ")";
    }
    return "CREATE UNIQUE INDEX IF NOT EXISTS "
        + Sql.ident(indexName)
        + " ON "
        + target
        + " ("
        + String.join(", ", layout.identity().stream().map(Sql::ident).toList())
        + ")";
  }

  /** Collatable columns keep the query's collation (text sorts and compares as in the query). */
  private static String collate(StorageColumn c) {
    return c.type().collationSql() == null ? "" : " COLLATE " + c.type().collationSql();
  }
}
