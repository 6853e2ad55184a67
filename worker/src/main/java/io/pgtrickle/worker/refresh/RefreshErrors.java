package io.pgtrickle.worker.refresh;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.util.PSQLException;

/** How a refresh failure is treated, by SQLSTATE. */
final class RefreshErrors {

  private RefreshErrors() {}

  /**
   * Failures that say nothing about the stream table: serialization failures and deadlocks (40),
   * lock timeouts (55P03), cancellation (57014, a drain running out of time), shutdowns (57P), lost
   * connections (08) and exhausted resources (53: disk full, out of memory, too many connections).
   * They are retried without counting as errors. Not 53400 ({@code configuration_limit_exceeded}:
   * "temporary file size exceeds temp_file_limit"): the same refresh over the same data exceeds the
   * administrator's limit again, so it counts, and after {@code maxErrors} the stream table is in
   * ERROR with that message instead of being retried for ever.
   */
  static boolean transientFailure(SQLException e) {
    String s = e.getSQLState();
    return s == null
        || s.startsWith("40")
        || s.equals("55P03")
        || s.equals("57014")
        || s.startsWith("57P")
        || s.startsWith("08")
        || (s.startsWith("53") && !s.equals("53400"));
  }

  /**
   * Whether a refresh that threw {@code e}, not an {@link SQLException}, failed by a fault of the
   * engine (an {@link IllegalStateException} of the planner, a {@link NullPointerException}...):
   * the same refresh fails the same way again, so it counts as an error, and after {@code
   * maxErrors} in a row the stream table is in ERROR naming it instead of being retried for ever.
   * Not when an {@link SQLException} that {@link #transientFailure} wraps is its cause (a lost
   * connection surfacing through an unchecked wrapper): that one is retried.
   */
  static boolean engineFault(RuntimeException e) {
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof SQLException s && transientFailure(s)) {
        return false;
      }
    }
    return true;
  }

  /** The message of an {@link #engineFault}: the exception's class and message. */
  static String message(RuntimeException e) {
    return "refresh failed: internal error of the worker: " + e;
  }

  /** A failure for the logs and a RETRY outcome: the message and SQLSTATE, or the exception. */
  static String describe(Exception e) {
    return e instanceof SQLException s && s.getSQLState() != null
        ? s.getMessage() + " (SQLSTATE " + s.getSQLState() + ")"
        : e.toString();
  }

  /**
   * PostgreSQL's class 22, data exception (division by zero, a value out of range, an invalid cast
   * of a text): raised by the rows a statement evaluates, so another statement over other rows may
   * succeed.
   */
  static boolean dataException(SQLException e) {
    String s = e.getSQLState();
    return s != null && s.startsWith("22");
  }

  /**
   * Whether PgJDBC raised {@code e} itself before sending the statement: no server message, and a
   * class the driver's own checks of a statement and its parameters use (22, e.g. 22023 "No value
   * specified for parameter 4."; 07, e.g. 07006 "Can't infer the SQL type"). Such a failure says
   * nothing about the rows, and the server never saw the statement (its transaction is as it was).
   */
  static boolean beforeSending(SQLException e) {
    String s = e.getSQLState();
    return e instanceof PSQLException p
        && p.getServerErrorMessage() == null
        && s != null
        && (s.startsWith("22") || s.startsWith("07"));
  }

  /**
   * Failures retrying cannot fix: the query no longer fits the sources (an undefined column, table
   * or function, a type mismatch: class 42) or uses something unsupported (0A). The stream table
   * goes to ERROR at once; {@code resume_stream_table} or {@code alter_stream_table(query => ...)}
   * recovers it.
   */
  static boolean permanent(SQLException e) {
    String s = e.getSQLState();
    return s != null && (s.startsWith("42") || s.startsWith("0A")) && !internalRelationGone(e);
  }

  /**
   * The worker's own relations a refresh reads: a source's change buffer ({@code
   * pgtrickle_changes.changes_OID}), the session's window view of it ({@code
   * pg_temp_N.pgt_buffer_OID}) and a window's copy ({@code pg_temp_N.pgt_window_OID}).
   */
  private static final java.util.regex.Pattern INTERNAL =
      java.util.regex.Pattern.compile(
          "\"(?:pgtrickle_changes\\.changes|pg_temp(?:_\\d+)?\\.pgt_(?:buffer|window))_\\d+\"");

  /**
   * Whether the failure is one of the worker's own relations gone ({@link #INTERNAL}, 42P01): a
   * change buffer dropped with its window views ({@code CASCADE}) by another worker once no stream
   * table read the source, while this refresh, which had read the catalog before a concurrent
   * {@code alter_stream_table}, still did. Not the query's fault: the next refresh reads the
   * catalog again, creates the view again or recomputes, so it counts as one failure and never puts
   * the stream table in ERROR at once.
   */
  static boolean internalRelationGone(SQLException e) {
    return "42P01".equals(e.getSQLState())
        && e.getMessage() != null
        && INTERNAL.matcher(e.getMessage()).find();
  }

  private static boolean isDropped(String name) {
    return name == null || name.chars().allMatch(Character::isDigit);
  }

  /**
   * The message for {@code last_error_message} and the history: the server's message and SQLSTATE,
   * and which sources were dropped or had their columns changed since the last refresh ({@code
   * schemaChanged}, named by {@code names}; a dropped one has no name any more and is given by its
   * OID).
   */
  static String message(SQLException e, Set<Long> schemaChanged, Map<Long, String> names) {
    String text = e.getMessage();
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      text = p.getServerErrorMessage().getMessage(); // without "ERROR: " and the position
    }
    StringBuilder m = new StringBuilder("refresh failed: ").append(text);
    if (e.getSQLState() != null) {
      m.append(" (SQLSTATE ").append(e.getSQLState()).append(')');
    }
    // A dropped relation's OID no longer has a name: regclass prints the number.
    List<String> dropped =
        schemaChanged.stream()
            .sorted()
            .filter(oid -> isDropped(names.get(oid)))
            .map(oid -> "source " + oid)
            .toList();
    List<String> changed =
        schemaChanged.stream().sorted().map(names::get).filter(name -> !isDropped(name)).toList();
    if (!dropped.isEmpty()) {
      m.append("; ")
          .append(String.join(", ", dropped))
          .append(dropped.size() == 1 ? " was" : " were")
          .append(" dropped since the last refresh: create it again and resume_stream_table,")
          .append(" or alter_stream_table(query => ...)");
    }
    if (!changed.isEmpty()) {
      m.append("; the columns of ")
          .append(String.join(", ", changed))
          .append(" changed since the last refresh: resume_stream_table after fixing the source,")
          .append(" or alter_stream_table(query => ...)");
    }
    return m.toString();
  }
}
