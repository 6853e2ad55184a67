package io.pgtrickle.worker.dvm;

/**
 * The changes of one source to apply: those with {@code lower <= lsn < upper}.
 *
 * @param sourceOid the source table's oid
 * @param lower the window's lower bound (the stream table's frontier for this source), pg_lsn text
 * @param upper the window's upper bound L, pg_lsn text
 * @param relation the relation holding the changes, already quoted; null: the change buffer {@code
 *     pgtrickle_changes.changes_<oid>} (a runtime that copies the window into a temporary table
 *     passes that table)
 */
public record SourceWindow(long sourceOid, String lower, String upper, String relation) {

  public SourceWindow(long sourceOid, String lower, String upper) {
    this(sourceOid, lower, upper, null);
  }
}
