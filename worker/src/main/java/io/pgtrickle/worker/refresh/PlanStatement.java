package io.pgtrickle.worker.refresh;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * A statement a maintenance plan builds and the runtime runs ({@link MaintenancePlan#apply}).
 *
 * @param sql one statement, or several separated by {@code ;\n}
 * @param results how many results it gives (one per statement)
 * @param parameters the values of its {@code ?} placeholders, in order ({@code String}, {@code
 *     Long}, {@code Integer}, {@code Boolean}; see {@link io.pgtrickle.worker.db.RoundTrip})
 * @param counts reads the rows it inserted, updated and deleted from the statement positioned on
 *     its first result, leaving it on its last
 */
public record PlanStatement(String sql, int results, List<Object> parameters, CountsReader counts) {

  public PlanStatement {
    parameters = List.copyOf(parameters);
  }

  /** Reads an executed {@link PlanStatement}'s counts. */
  @FunctionalInterface
  public interface CountsReader {
    /**
     * Reads the counts.
     *
     * @param s the statement, on the plan's first result
     * @return rows inserted, updated and deleted
     * @throws SQLException if the driver fails
     */
    RowCounts read(Statement s) throws SQLException;
  }
}
