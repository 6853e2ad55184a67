package io.pgtrickle.worker.dvm.catalog;

/**
 * A column of a table or of a query result.
 *
 * @param name the column name
 * @param type its type
 * @param notNull declared NOT NULL (tables only; query columns: false)
 */
public record ColumnInfo(String name, TypeRef type, boolean notNull) {}
