package io.pgtrickle.worker.dvm.sql;

import java.util.List;

/**
 * An SQL statement with its parameters, bound in order ({@code ?} placeholders).
 *
 * @param sql the statement
 * @param parameters the values, in placeholder order
 */
public record BoundStatement(String sql, List<Object> parameters) {
  public BoundStatement {
    parameters = List.copyOf(parameters);
  }
}
