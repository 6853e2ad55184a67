package io.pgtrickle.worker.dvm;

import io.pgtrickle.worker.dvm.catalog.CatalogReader;
import io.pgtrickle.worker.dvm.catalog.NormalizedQuery;
import io.pgtrickle.worker.dvm.parse.Blocker;
import io.pgtrickle.worker.dvm.parse.SqlSyntaxException;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import io.pgtrickle.worker.dvm.plan.Analyzer;
import io.pgtrickle.worker.dvm.plan.DefiningQuery;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of the differential engine: analyzes a defining query on a live connection (the
 * catalog resolves names and types; only temporary objects are created, and rolled back).
 */
public final class DifferentialEngine {

  private DifferentialEngine() {}

  /**
   * Analyzes {@code definingQuery} with the connection's current search_path.
   *
   * @return {@link Analysis.Differential} with the plan, or {@link Analysis.FullOnly} naming the
   *     construct that prevents differential maintenance
   * @throws SQLException if PostgreSQL rejects the query itself (unknown table, syntax...), with
   *     PostgreSQL's message and SQLSTATE
   */
  public static Analysis analyze(Connection conn, String definingQuery) throws SQLException {
    return analyze(conn, definingQuery, null);
  }

  /**
   * Analyzes {@code definingQuery} with {@code searchPath} (a stream table's stored {@code
   * defining_search_path}; null: the connection's), set only for the analysis.
   */
  public static Analysis analyze(Connection conn, String definingQuery, String searchPath)
      throws SQLException {
    try (CatalogReader catalog = new CatalogReader(conn)) {
      if (searchPath != null) {
        catalog.setSearchPath(searchPath);
      }
      NormalizedQuery nq = catalog.normalize(definingQuery);
      List<Blocker> found = new ArrayList<>(nq.blockers());
      DifferentialPlan plan = null;
      String detail = null;
      try {
        DefiningQuery q = Analyzer.analyze(catalog, nq);
        plan = new DifferentialPlan(q, StorageLayout.of(q));
      } catch (Unsupported u) {
        found.add(u.blocker());
        detail = u.getMessage().equals(u.construct()) ? null : u.getMessage();
      } catch (SqlSyntaxException e) {
        found.add(Blocker.of("unreadable normalized query"));
        detail = e.getMessage();
      }
      Blocker first = Blocker.first(found);
      if (first != null) {
        boolean fromEngine = detail != null && detail.startsWith(first.construct());
        return new Analysis.FullOnly(first.construct(), fromEngine ? detail : null);
      }
      return new Analysis.Differential(plan);
    }
  }
}
