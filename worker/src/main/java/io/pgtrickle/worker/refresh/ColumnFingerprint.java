package io.pgtrickle.worker.refresh;

/**
 * The fingerprint of a base source's columns that a frontier keeps ({@link Frontier#schemas}), and
 * whether it changed since the last refresh (then the refresh recomputes: {@link RefreshDecision}).
 *
 * <p>It has two parts, {@code <shape>/<versions>}: the md5 of the columns' names and types in
 * order, and the md5 of the row versions ({@code xmin}) of their {@code pg_attribute} rows. The
 * shape alone misses a column renamed and then renamed back between two refreshes (or dropped and
 * added again with the same name and type): the shape is the same as before, but the changes
 * captured in between carry the other name in their rows, and a differential apply reads the column
 * as NULL there ({@code jsonb_populate_record} ignores the unknown key), so a row a filter on that
 * column should keep was silently lost (a user's trial, 2026-12-07). Every DDL that touches a
 * column writes a new version of its catalog row, so the second part changes with it; nothing else
 * writes them (ANALYZE and VACUUM do not; a column-level GRANT or a new default does, and costs one
 * needless recompute).
 *
 * <p>A frontier written before 2026-12-07 holds the shape alone; it is compared with the shape part
 * only, so an upgrade does not recompute every stream table once.
 */
final class ColumnFingerprint {

  /**
   * The fingerprint's SQL for the source whose OID is {@code relid}, an expression of the sources
   * statement ({@link RefreshCatalog#SOURCES}); NULL when the source has no column or is gone.
   */
  static final String SQL =
      "(SELECT md5(string_agg(a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod),"
          + " ',' ORDER BY a.attnum)) || '/' || md5(string_agg(a.xmin::text, ','"
          + " ORDER BY a.attnum)) FROM pg_attribute a WHERE a.attrelid = %s"
          + " AND a.attnum > 0 AND NOT a.attisdropped)";

  private static final char SEPARATOR = '/';

  private ColumnFingerprint() {}

  /**
   * Whether a source's columns changed since the fingerprint {@code before} was taken.
   *
   * @param before the frontier's fingerprint, or {@code null} (not known: not changed)
   * @param now the current fingerprint, or {@code null} (the source is gone)
   * @return true if they differ; a fingerprint of the shape alone (written before 2026-12-07) is
   *     compared with the shape part of {@code now}
   */
  static boolean changed(String before, String now) {
    if (before == null) {
      return false;
    }
    if (now == null) {
      return true;
    }
    if (before.indexOf(SEPARATOR) < 0) {
      int cut = now.indexOf(SEPARATOR);
      return !before.equals(cut < 0 ? now : now.substring(0, cut));
    }
    return !before.equals(now);
  }
}
