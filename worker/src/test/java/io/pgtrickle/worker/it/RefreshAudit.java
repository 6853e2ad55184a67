package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgtrickle.changelog.Lsn;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks every refresh in its own transaction: a trigger on {@code pgt_refresh_history} (the worker
 * writes the history row in the refresh transaction) compares the stream table's contents with its
 * query evaluated right there, in the refresh's snapshot, and records the differences in {@code
 * public.pgt_test_audit}. So "the stream table equals its query on one consistent snapshot after
 * every refresh" is checked for each refresh, while the sources keep changing.
 */
public final class RefreshAudit {

  private RefreshAudit() {}

  /** Installs the audit table and trigger. */
  public static void install(PipelineDb db) {
    db.sql(
        "CREATE TABLE public.pgt_test_audit (refresh_id bigint, pgt_id bigint, action text,"
            + " reason text, snapshot text, missing bigint, extra bigint, row_count bigint,"
            + " synchronous_commit text)",
        "CREATE FUNCTION public.pgt_test_audit() RETURNS trigger LANGUAGE plpgsql AS $$"
            + " DECLARE st record; cols text; m bigint; x bigint; n bigint;"
            + " BEGIN"
            + "  IF NEW.status <> 'COMPLETED' THEN RETURN NULL; END IF;"
            + "  SELECT pgt_relid, defining_query INTO st FROM pgtrickle.pgt_stream_tables"
            + "   WHERE pgt_id = NEW.pgt_id;"
            + "  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols"
            + "   FROM pg_attribute WHERE attrelid = st.pgt_relid AND attnum > 0"
            + "   AND NOT attisdropped AND attname NOT LIKE '\\_\\_pgt\\_%';"
            + "  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL SELECT %s FROM %s) d',"
            + "   st.defining_query, cols, st.pgt_relid) INTO m;"
            + "  EXECUTE format('SELECT count(*) FROM (SELECT %s FROM %s EXCEPT ALL (%s)) d',"
            + "   cols, st.pgt_relid, st.defining_query) INTO x;"
            + "  EXECUTE format('SELECT count(*) FROM %s', st.pgt_relid) INTO n;"
            + "  INSERT INTO public.pgt_test_audit VALUES (NEW.refresh_id, NEW.pgt_id, NEW.action,"
            + "   NEW.refresh_reason, pg_current_snapshot()::text, m, x, n,"
            + "   current_setting('synchronous_commit'));"
            + "  RETURN NULL;"
            + " END $$",
        "CREATE TRIGGER pgt_test_audit AFTER INSERT ON pgtrickle.pgt_refresh_history"
            + " FOR EACH ROW EXECUTE FUNCTION public.pgt_test_audit()");
  }

  /** Every completed refresh was audited, and none differed from its query. */
  public static void assertEveryRefreshMatched(PipelineDb db) {
    // One statement, one snapshot: the worker keeps refreshing meanwhile.
    assertThat(
            db.one(
                "SELECT format('%s of %s', (SELECT count(*) FROM public.pgt_test_audit),"
                    + " (SELECT count(*) FROM pgtrickle.pgt_refresh_history"
                    + " WHERE status = 'COMPLETED'))"))
        .as("completed refreshes audited")
        .matches("(\\d+) of \\1");
    List<String> bad =
        db.column(
            "SELECT format('refresh %s of %s (%s, %s): %s rows missing, %s extra',"
                + " refresh_id, pgt_id, action, reason, missing, extra)"
                + " FROM public.pgt_test_audit WHERE missing <> 0 OR extra <> 0"
                + " ORDER BY refresh_id");
    assertThat(bad).as("refreshes whose stream table differed from its query").isEmpty();
  }

  /**
   * Every audited refresh ran with {@code synchronous_commit = off} (its commit asynchronous,
   * {@link io.pgtrickle.worker.db.AsynchronousCommit}), and there was at least one.
   */
  public static void assertCommittedAsynchronously(PipelineDb db) {
    assertThat(
            db.column(
                "SELECT synchronous_commit || ': ' || count(*) FROM public.pgt_test_audit"
                    + " GROUP BY synchronous_commit ORDER BY synchronous_commit"))
        .as("synchronous_commit of the audited refreshes")
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("off: ");
  }

  /**
   * The history of each stream table is one chain of frontiers: each completed refresh started from
   * the frontier the previous one ended with, every source position moved forward, and the last one
   * ended where the catalog is. A refresh applied twice, or one lost, breaks the chain.
   */
  public static void assertFrontierChains(PipelineDb db) throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (String id : db.column("SELECT pgt_id FROM pgtrickle.pgt_stream_tables")) {
      // One statement, one snapshot: the worker keeps refreshing meanwhile. Each row: the
      // frontier before, the frontier after, and (the same on every row) the catalog's frontier.
      List<String> rows =
          db.column(
              "SELECT json_build_array(h.frontier_before, h.frontier_after, st.frontier)::text"
                  + " FROM pgtrickle.pgt_refresh_history h"
                  + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)"
                  + " WHERE h.pgt_id = ?::bigint AND h.status = 'COMPLETED'"
                  + " ORDER BY h.refresh_id",
              id);
      assertThat(rows).as("completed refreshes of %s", id).isNotEmpty();
      List<JsonNode> before = new ArrayList<>();
      List<JsonNode> after = new ArrayList<>();
      JsonNode catalog = null;
      for (String row : rows) {
        JsonNode r = json.readTree(row);
        before.add(r.get(0));
        after.add(r.get(1));
        catalog = r.get(2);
      }
      assertThat(before.get(0).isNull()).as("first refresh of %s starts from nothing", id).isTrue();
      for (int i = 1; i < after.size(); i++) {
        JsonNode prev = after.get(i - 1);
        assertThat(before.get(i))
            .as("refresh %d of %s starts where %d ended", i, id, i - 1)
            .isEqualTo(prev);
        JsonNode end = after.get(i).path("sources");
        for (Iterator<Map.Entry<String, JsonNode>> it = prev.path("sources").fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (end.has(e.getKey())) {
            assertThat(Lsn.parse(end.get(e.getKey()).asText()))
                .as("source %s of %s moves forward at refresh %d", e.getKey(), id, i)
                .isGreaterThanOrEqualTo(Lsn.parse(e.getValue().asText()));
          }
        }
      }
      assertThat(catalog)
          .as("catalog frontier of %s is the last refresh's", id)
          .isEqualTo(after.get(after.size() - 1));
    }
  }

  /** Every stream table equals its query now. */
  public static void assertAllEqualQuery(PipelineDb db) {
    for (String id : db.column("SELECT pgt_id FROM pgtrickle.pgt_stream_tables")) {
      String q =
          db.one(
              "SELECT defining_query FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ?::bigint",
              id);
      String t =
          db.one(
              "SELECT pgt_relid::text FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ?::bigint",
              id);
      // The query's columns only: a differential plan adds hidden __pgt_* bookkeeping columns.
      String cols =
          db.one(
              "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
                  + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped"
                  + " AND attname NOT LIKE '\\_\\_pgt\\_%'",
              t);
      String diff =
          db.one(
              "SELECT (SELECT count(*) FROM (("
                  + q
                  + ") EXCEPT ALL SELECT "
                  + cols
                  + " FROM "
                  + t
                  + ") a) + "
                  + "(SELECT count(*) FROM (SELECT "
                  + cols
                  + " FROM "
                  + t
                  + " EXCEPT ALL ("
                  + q
                  + ")) b)");
      assertThat(diff).as("rows of %s differing from its query", t).isEqualTo("0");
    }
  }
}
