package io.pgtrickle.worker.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Statements sent to the server in one round trip: one prepared text of statements separated by
 * {@code ;\n}, which the driver sends as a single pipeline (each statement's parse, bind and
 * execute, one sync at the end). The server runs them in order, each parsed after the previous one
 * ran (so a {@code LOCK} or a role switch takes effect for the next ones), and an error skips the
 * rest, a {@code COMMIT} among them included. Every statement gives one result, a result set or an
 * update count (0 for utility statements), read in order with {@link Results}.
 *
 * <p>Parameters are bound by their Java type ({@code String}, {@code Long}, {@code Integer}, {@code
 * Boolean}, {@code Double}, {@code java.sql.Timestamp}); a {@code null} is bound through {@link
 * #nullOf}, so each placeholder keeps one type and the driver's prepared statement is reused.
 */
public final class RoundTrip {

  /** A typed SQL NULL parameter. */
  public record Null(int sqlType) {}

  private final List<String> statements = new ArrayList<>();
  private final List<Integer> firstResults = new ArrayList<>();
  private final List<Object> parameters = new ArrayList<>();
  private int results;

  /**
   * A NULL of the given JDBC type ({@link java.sql.Types}).
   *
   * @param sqlType e.g. {@link Types#BIGINT}
   * @return the parameter value
   */
  public static Null nullOf(int sqlType) {
    return new Null(sqlType);
  }

  /**
   * Adds one statement (or several joined by {@code ;\n} that give {@code resultCount} results).
   *
   * @param sql the text, with {@code ?} placeholders
   * @param resultCount the results it gives (one per statement)
   * @param values the parameters, in placeholder order
   * @return the index of its first result (for {@link Results#at})
   */
  public int add(String sql, int resultCount, List<Object> values) {
    statements.add(sql);
    firstResults.add(results);
    parameters.addAll(values);
    int first = results;
    results += resultCount;
    return first;
  }

  /**
   * Adds one statement.
   *
   * @param sql the text, with {@code ?} placeholders
   * @param values the parameters, in placeholder order
   * @return the index of its result
   */
  public int add(String sql, Object... values) {
    return add(sql, 1, Arrays.asList(values));
  }

  /**
   * Whether nothing was added.
   *
   * @return true if empty
   */
  public boolean isEmpty() {
    return statements.isEmpty();
  }

  /**
   * The text sent.
   *
   * @return the statements joined by {@code ;\n}
   */
  public String sql() {
    return String.join(";\n", statements);
  }

  /**
   * Sends the statements and waits for every result.
   *
   * @param c the connection
   * @return the results, positioned before the first
   * @throws SQLException if a statement fails (the ones after it did not run)
   */
  public Results run(Connection c) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql());
    try {
      for (int i = 0; i < parameters.size(); i++) {
        bind(ps, i + 1, parameters.get(i));
      }
      ps.execute();
      return new Results(ps);
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  private static void bind(PreparedStatement ps, int i, Object v) throws SQLException {
    if (v instanceof Null n) {
      ps.setNull(i, n.sqlType());
    } else if (v instanceof String s) {
      ps.setString(i, s);
    } else if (v instanceof Long l) {
      ps.setLong(i, l);
    } else if (v instanceof Integer n) {
      ps.setInt(i, n);
    } else if (v instanceof Boolean b) {
      ps.setBoolean(i, b);
    } else if (v instanceof Double d) {
      ps.setDouble(i, d);
    } else if (v instanceof java.sql.Timestamp t) {
      ps.setTimestamp(i, t);
    } else if (v instanceof java.util.Collection<?>) {
      throw new IllegalArgumentException(
          "parameter " + i + " is a collection: use add(sql, n, list)");
    } else if (v == null) {
      throw new IllegalArgumentException("parameter " + i + " is null: bind RoundTrip.nullOf");
    } else {
      ps.setObject(i, v);
    }
  }

  /** The results of a {@link RoundTrip}, read forward. */
  public static final class Results implements AutoCloseable {

    private final PreparedStatement ps;
    private int current;

    Results(PreparedStatement ps) {
      this.ps = ps;
    }

    /**
     * Moves to result {@code index} (from {@link RoundTrip#add}); results are read forward only.
     *
     * @param index the result
     * @return the statement, on that result ({@code getResultSet()}, {@code getUpdateCount()})
     * @throws SQLException if the driver fails
     */
    public Statement at(int index) throws SQLException {
      if (index < current) {
        throw new IllegalStateException("result " + index + " was passed already");
      }
      while (current < index) {
        ps.getMoreResults();
        current++;
      }
      return ps;
    }

    /**
     * The result set of result {@code index}.
     *
     * @param index the result
     * @return its rows
     * @throws SQLException if the driver fails
     * @throws IllegalStateException if that result is an update count
     */
    public ResultSet rows(int index) throws SQLException {
      ResultSet rs = at(index).getResultSet();
      if (rs == null) {
        throw new IllegalStateException("result " + index + " has no rows");
      }
      return rs;
    }

    /**
     * Notes that the caller read results up to {@code index} through {@link #at}'s statement itself
     * (with {@code getMoreResults}), so that {@link #at} goes on from there.
     *
     * @param index the result the statement is on now
     */
    public void readUpTo(int index) {
      current = index;
    }

    @Override
    public void close() throws SQLException {
      ps.close();
    }
  }
}
