package io.pgtrickle.worker.dvm.support;

import io.pgtrickle.worker.dvm.DeltaApplier;
import io.pgtrickle.worker.dvm.DifferentialPlan;
import io.pgtrickle.worker.dvm.SourceWindow;
import io.pgtrickle.worker.dvm.WindowStats;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.postgresql.PGConnection;

/**
 * A refresh under concurrent writes, following CONTRACTS.md §4: the REPEATABLE READ transaction's
 * first statement takes the snapshot S and L; the refresh waits until the ingest stamped every
 * change committed below L; since those stamps committed after S, each window is read on another
 * connection and copied into a temporary table of the refresh session; every copied change must
 * belong to a transaction visible in S, else the refresh starts over with a new snapshot. The
 * stream table is then checked against its query, in S, before COMMIT.
 */
public final class SnapshotRefresh {

  private final TestStreamTable table;
  private final Map<Long, String> frontier = new HashMap<>();

  /** Continues from the stream table's current frontiers. */
  public SnapshotRefresh(TestStreamTable table) {
    this.table = table;
    for (RelationInfo r : table.plan().sources()) {
      frontier.put(r.oid(), table.frontier(r.oid()));
    }
  }

  /**
   * One refresh.
   *
   * @param conn the refresh session
   * @param reader another connection, for reading the windows
   * @param ingested the ingest's position
   * @return retries needed because a change was not yet visible in the snapshot
   */
  public int refresh(Connection conn, Connection reader, Supplier<String> ingested)
      throws SQLException, InterruptedException {
    DifferentialPlan plan = table.plan();
    for (int attempt = 0; ; attempt++) {
      conn.setAutoCommit(false);
      try (Statement s = conn.createStatement()) {
        s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        String snapshot;
        String l;
        try (ResultSet rs =
            s.executeQuery(
                "SELECT pg_current_snapshot()::text, pg_current_wal_insert_lsn()::text")) {
          rs.next();
          snapshot = rs.getString(1);
          l = rs.getString(2);
        }
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (Lsn.compare(ingested.get(), l) < 0) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the ingest did not reach " + l + " in 120 s");
          }
          Thread.sleep(2);
        }
        Map<Long, String> relations = new HashMap<>();
        boolean invisible = false;
        for (RelationInfo r : plan.sources()) {
          String temp = "pg_temp.w_" + r.oid();
          s.execute(
              "CREATE TEMP TABLE IF NOT EXISTS w_"
                  + r.oid()
                  + " (LIKE pgtrickle_changes.changes_"
                  + r.oid()
                  + ") ON COMMIT DELETE ROWS");
          ByteArrayOutputStream rows = new ByteArrayOutputStream();
          ((PGConnection) reader)
              .getCopyAPI()
              .copyOut(
                  "COPY (SELECT * FROM pgtrickle_changes.changes_"
                      + r.oid()
                      + " WHERE lsn >= '"
                      + frontier.get(r.oid())
                      + "' AND lsn < '"
                      + l
                      + "') TO STDOUT",
                  rows);
          ((PGConnection) conn)
              .getCopyAPI()
              .copyIn("COPY " + temp + " FROM STDIN", new ByteArrayInputStream(rows.toByteArray()));
          try (ResultSet rs =
              s.executeQuery(
                  "SELECT count(*) FROM "
                      + temp
                      + " WHERE NOT pg_visible_in_snapshot(xid::text::xid8, '"
                      + snapshot
                      + "'::pg_snapshot)")) {
            rs.next();
            invisible |= rs.getLong(1) > 0;
          }
          relations.put(r.oid(), temp);
        }
        if (invisible) {
          conn.rollback();
          continue;
        }
        WindowStats stats = DeltaApplier.inspect(conn, plan, frontier, l, relations);
        List<SourceWindow> windows = new ArrayList<>();
        stats
            .changes()
            .forEach(
                (oid, n) -> {
                  if (n > 0) {
                    windows.add(new SourceWindow(oid, frontier.get(oid), l, relations.get(oid)));
                  }
                });
        if (!windows.isEmpty()) {
          DeltaApplier.apply(conn, plan, table.schema(), table.name(), windows);
        }
        table.assertMatchesQuery(conn);
        conn.commit();
        for (RelationInfo r : plan.sources()) {
          frontier.put(r.oid(), l);
        }
        return attempt;
      } catch (SQLException | RuntimeException | Error e) {
        conn.rollback();
        throw e;
      } catch (java.io.IOException e) {
        conn.rollback();
        throw new SQLException(e);
      } finally {
        conn.setAutoCommit(true);
      }
    }
  }

  /** pg_lsn text comparison. */
  public static final class Lsn {
    public static int compare(String a, String b) {
      return Long.compareUnsigned(parse(a), parse(b));
    }

    static long parse(String lsn) {
      int slash = lsn.indexOf('/');
      return (Long.parseLong(lsn.substring(0, slash), 16) << 32)
          | Long.parseLong(lsn.substring(slash + 1), 16);
    }
  }
}
