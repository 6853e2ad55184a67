package io.pgtrickle.worker.dvm.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A table the defining query reads.
 *
 * @param oid the table's oid (change buffer {@code pgtrickle_changes.changes_<oid>})
 * @param schema its schema
 * @param name its name
 * @param relkind {@code pg_class.relkind}
 * @param columns the live columns in attribute order (as {@code jsonb_populate_record} returns)
 * @param primaryKey the primary key's column names in key order; empty: no primary key
 */
public record RelationInfo(
    long oid,
    String schema,
    String name,
    char relkind,
    List<ColumnInfo> columns,
    List<String> primaryKey) {

  public Optional<ColumnInfo> column(String column) {
    return columns.stream().filter(c -> c.name().equals(column)).findFirst();
  }

  public boolean keyed() {
    return !primaryKey.isEmpty();
  }
}
