package io.pgtrickle.worker.refresh;

/**
 * What a refresh did to the stream table: storage rows inserted, updated in place and deleted, or
 * {@link #UNKNOWN} (each {@code -1}) when they could not be counted exactly; the history then
 * records NULL rather than a guess.
 *
 * @param inserted rows inserted, or -1
 * @param updated rows updated in place, or -1
 * @param deleted rows deleted, or -1
 */
public record RowCounts(long inserted, long updated, long deleted) {

  /** Nothing changed. */
  public static final RowCounts NONE = new RowCounts(0, 0, 0);

  /**
   * Not counted: a MERGE on PostgreSQL 15 or 16 with {@code track_counts} off, or whose statistics
   * did not add up to its row count.
   */
  public static final RowCounts UNKNOWN = new RowCounts(-1, -1, -1);

  /** Whether the counts are known. */
  public boolean known() {
    return inserted >= 0 && updated >= 0 && deleted >= 0;
  }
}
