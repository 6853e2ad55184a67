package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.storage.StorageColumn;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

  /**
   * What a storage table has now (read by {@link #existing}).
   *
   * @param hidden its {@code __pgt_*} columns: name to {@code format_type} of the column
   * @param fillfactorSet whether a fillfactor is set (the user's {@code fillfactor} option wins)
   * @param index the index named like the plan's: null when absent, else {@code unique} followed by
   *     its columns, e.g. {@code [true, id]} or {@code [false, __pgt_row_id]}
   */
  public record Existing(Map<String, String> hidden, boolean fillfactorSet, List<String> index) {

    /** A table with the query's columns only. */
    public static final Existing NONE = new Existing(Map.of(), false, null);
  }

  /** Reads what {@code target} has now. */
  public static Existing existing(Connection c, String target, String indexName)
      throws SQLException {
    Map<String, String> hidden = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped"
                + " AND attname LIKE '\\_\\_pgt\\_%'")) {
      ps.setString(1, target);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          hidden.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    boolean fillfactor;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT EXISTS (SELECT FROM pg_class, unnest(reloptions) o"
                + " WHERE oid = ?::regclass AND o LIKE 'fillfactor=%')")) {
      ps.setString(1, target);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        fillfactor = rs.getBoolean(1);
      }
    }
    List<String> index = null;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT i.indisunique, a.attname FROM pg_index i JOIN pg_class ic"
                + " ON ic.oid = i.indexrelid CROSS JOIN LATERAL unnest(i.indkey::int2[])"
                + " WITH ORDINALITY k(attnum, ord) LEFT JOIN pg_attribute a"
                + " ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ?::regclass AND ic.relname = ? ORDER BY k.ord")) {
      ps.setString(1, target);
      ps.setString(2, indexName);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (index == null) {
            index = new ArrayList<>();
            index.add(Boolean.toString(rs.getBoolean(1)));
          }
          index.add(rs.getString(2)); // null: an expression
        }
      }
    }
    return new Existing(hidden, fillfactor, index);
  }

  /**
   * The DDL that gives {@code target} (created with the query's columns) this layout's hidden
   * columns and index: only what is missing or different, since every ALTER TABLE locks out the
   * stream table's readers until the refresh commits. Hidden columns of another layout (the query
   * was changed) are dropped, a column of the wrong type replaced, an index on other columns
   * rebuilt; fillfactor 90 unless one is set.
   */
  public static List<String> ensureHidden(
      StorageLayout layout, String target, String schema, String indexName, Existing now) {
    List<String> out = new ArrayList<>();
    Map<String, String> wanted = new HashMap<>();
    for (StorageColumn c : layout.hidden()) {
      wanted.put(c.name(), c.type().sqlName());
    }
    List<String> wantedIndex = new ArrayList<>();
    wantedIndex.add(Boolean.toString(!layout.hashed()));
    wantedIndex.addAll(layout.hashed() ? List.of(StorageLayout.ROW_ID) : layout.identity());
    boolean rebuildIndex = now.index() != null && !now.index().equals(wantedIndex);
    if (rebuildIndex) {
      out.add("DROP INDEX " + Sql.qualified(schema, indexName));
    }
    List<String> drop = new ArrayList<>();
    now.hidden()
        .forEach(
            (name, type) -> {
              if (!type.equals(wanted.get(name))) {
                drop.add(name);
              }
            });
    drop.sort(null);
    for (String name : drop) {
      out.add("ALTER TABLE " + target + " DROP COLUMN " + Sql.ident(name));
    }
    for (StorageColumn c : layout.hidden()) {
      if (!c.type().sqlName().equals(now.hidden().get(c.name()))) {
        out.add(
            "ALTER TABLE "
                + target
                + " ADD COLUMN "
                + Sql.ident(c.name())
                + " "
                + c.type().sqlName()
                + collate(c));
      }
    }
    if (!now.fillfactorSet()) {
      out.add("ALTER TABLE " + target + " SET (fillfactor = 90)");
    }
    if (now.index() == null || rebuildIndex) {
      out.add(index(layout, target, indexName));
    }
    return out;
  }

  /** The row-id index, or the unique index on the identity columns (unhashed layouts). */
  public static String index(StorageLayout layout, String target, String indexName) {
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
