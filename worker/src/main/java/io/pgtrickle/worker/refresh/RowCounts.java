package io.pgtrickle.worker.refresh;

/**
 * What a refresh did to the stream table.
 *
 * @param inserted rows inserted
 * @param updated rows updated in place
 * @param deleted rows deleted
 */
public record RowCounts(long inserted, long updated, long deleted) {

  /** Nothing changed. */
  public static final RowCounts NONE = new RowCounts(0, 0, 0);
}
