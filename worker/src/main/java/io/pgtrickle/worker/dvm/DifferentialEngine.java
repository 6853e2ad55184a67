package io.pgtrickle.worker.dvm;

import io.pgtrickle.worker.dvm.catalog.CatalogReader;
import io.pgtrickle.worker.dvm.parse.SqlSyntaxException;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import io.pgtrickle.worker.dvm.plan.Analyzer;
import io.pgtrickle.worker.dvm.plan.DefiningQuery;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.sql.Connection;
import java.sql.SQLException;

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
    try (CatalogReader catalog = new CatalogReader(conn)) {
      DefiningQuery q = Analyzer.analyze(catalog, definingQuery);
      return new Analysis.Differential(new DifferentialPlan(q, StorageLayout.of(q)));
    } catch (Unsupported u) {
      String detail = u.getMessage().equals(u.construct()) ? null : u.getMessage();
      return new Analysis.FullOnly(u.construct(), detail);
    } catch (SqlSyntaxException e) {
      return new Analysis.FullOnly("unreadable normalized query", e.getMessage());
    }
  }
}
