package io.pgtrickle.worker.dvm;

import java.util.List;

/**
 * The changes of one source to apply: those with {@code lower <= lsn < upper}.
 *
 * @param sourceOid the source table's oid
 * @param lower the window's lower bound (the stream table's frontier for this source), pg_lsn text
 * @param upper the window's upper bound L, pg_lsn text
 * @param relation the relation holding the changes, already quoted: a table, or a parenthesized
 *     subquery with the buffer's columns {@code lsn, seq, new_row, old_row} that may take
 *     parameters ({@code relationParameters}); null: the change buffer {@code
 *     pgtrickle_changes.changes_<oid>}
 * @param relationParameters the values of the relation's own placeholders, each written {@code
 *     ?::type} (see {@link io.pgtrickle.worker.dvm.sql.PreparedText#withCastPlaceholders}), in
 *     order (bound before the window's bounds)
 */
public record SourceWindow(
    long sourceOid, String lower, String upper, String relation, List<Object> relationParameters) {

  public SourceWindow {
    relationParameters = List.copyOf(relationParameters);
  }

  /** The window in {@code relation}, which takes no parameters. */
  public SourceWindow(long sourceOid, String lower, String upper, String relation) {
    this(sourceOid, lower, upper, relation, List.of());
  }

  /** The window in the change buffer. */
  public SourceWindow(long sourceOid, String lower, String upper) {
    this(sourceOid, lower, upper, null, List.of());
  }
}
