package io.pgtrickle.changelog;

/** The kind of row change a {@link ChangeEvent} carries, as logical decoding reports it. */
public enum ChangeAction {
  /** A new row; {@code columns} holds it. */
  INSERT,
  /** A changed row; {@code columns} holds the new row, {@code old_columns} the old key or row. */
  UPDATE,
  /** A removed row; {@code old_columns} holds its key or row. */
  DELETE,
  /** The whole table was emptied; no columns. */
  TRUNCATE
}
