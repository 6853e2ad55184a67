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
  TRUNCATE,
  /**
   * Changes of the source may be missing before this position (a replication slot was lost and
   * created again, a captured table was dropped and created again, capture of the table started or
   * moved to another consumer); no columns. Everything at or after the event's position is
   * complete. A reader that keeps derived state must recompute it from the source (a stream table
   * gets a FULL refresh) instead of applying the changes around it.
   */
  GAP
}
