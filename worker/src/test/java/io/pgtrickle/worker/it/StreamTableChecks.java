package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

/**
 * What the pipeline ITs ask of a stream table {@code public.<name>} in a {@link PipelineDb}: a
 * manual refresh, its status, and whether its rows are its query's.
 */
final class StreamTableChecks {

  private StreamTableChecks() {}

  /**
   * {@code refresh_stream_table('public.<name>')}, at most 60 s: returns once the stream table
   * holds everything committed before the call; fails with the refresh's error.
   */
  static void refresh(PipelineDb db, String name) {
    db.sql(
        "SET statement_timeout = '60s'",
        "SELECT pgtrickle.refresh_stream_table('public." + name + "')");
  }

  /** The catalog's status: INITIALIZING, ACTIVE, SUSPENDED or ERROR. */
  static String status(PipelineDb db, String name) {
    return db.one("SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name);
  }

  /** Waits up to 60 s for the status. */
  static void awaitStatus(PipelineDb db, String name, String status) {
    Children.await(
        name + " " + status, Duration.ofSeconds(60), () -> status.equals(status(db, name)));
  }

  /**
   * Asserts that the stream table holds its defining query's rows, as a multiset ({@code EXCEPT
   * ALL} both ways), over the query's columns only: a differential plan adds hidden {@code __pgt_*}
   * bookkeeping columns.
   */
  static void assertEqualsQuery(PipelineDb db, String name) {
    String q =
        db.one("SELECT defining_query FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name);
    String cols =
        db.one(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
                + " WHERE attrelid = ('public.' || ?)::regclass AND attnum > 0 AND NOT attisdropped"
                + " AND attname NOT LIKE '\\_\\_pgt\\_%'",
            name);
    String st = "(SELECT " + cols + " FROM public." + name + ")";
    assertThat(
            db.one(
                "SELECT (SELECT count(*) FROM (("
                    + q
                    + ") EXCEPT ALL "
                    + st
                    + ") a) + (SELECT count(*) FROM ("
                    + st
                    + " EXCEPT ALL ("
                    + q
                    + ")) b)"))
        .as("rows of %s differing from its query", name)
        .isEqualTo("0");
  }
}
