package io.pgtrickle.changelog;

import java.io.IOException;
import java.sql.SQLException;

/**
 * Tells a server that cannot be reached yet (a retry may succeed) from a wrong setting, and opens a
 * change log waiting for the former.
 *
 * <p>The backends report both as a {@link ChangeLogConfigException} naming the setting (their
 * shared contract, {@code ChangeLogBackendConformance}); the cause tells them apart. A program
 * (worker, cdc-consumer) must not exit as misconfigured and crash-loop when a PostgreSQL, NATS or
 * Kafka server is starting, failing over or refusing connections for now: it waits with {@link
 * #openWhenReachable}, alive and not ready.
 */
public final class Reachability {

  /** The first pause after a failed attempt, in milliseconds. */
  public static final long FIRST_BACKOFF_MS = 1_000;

  /** The longest pause between attempts, in milliseconds. */
  public static final long MAX_BACKOFF_MS = 30_000;

  private Reachability() {}

  /** What a program does between attempts. */
  @FunctionalInterface
  public interface Pause {
    /**
     * Waits before the next attempt (say, on the program's stop latch), after recording the error
     * (log, {@code /readyz}).
     *
     * @param error why the change log could not be opened (it cannot be reached)
     * @param backoffMillis how long to wait, 1 s doubling to 30 s
     * @return false to give up (a stop was requested), true to try again
     * @throws InterruptedException if interrupted while waiting
     */
    boolean await(ChangeLogException error, long backoffMillis) throws InterruptedException;
  }

  /**
   * Opens a change log, trying again after each pause while it cannot be reached.
   *
   * @param uri the change-log URI
   * @param pause what to do between attempts
   * @return the open backend (close it when done), or {@code null} if the pause gave up
   * @throws ChangeLogException at once for any other failure: a wrong setting is a {@link
   *     ChangeLogConfigException} naming it (exit 2)
   * @throws InterruptedException if interrupted while pausing
   */
  public static ChangeLogBackend openWhenReachable(String uri, Pause pause)
      throws InterruptedException {
    long backoff = FIRST_BACKOFF_MS;
    while (true) {
      try {
        return ChangeLogBackends.open(uri);
      } catch (ChangeLogException e) {
        if (!unreachable(e)) {
          throw e;
        }
        if (!pause.await(e, backoff)) {
          return null;
        }
        backoff = nextBackoff(backoff);
      }
    }
  }

  /**
   * The pause after this one.
   *
   * @param backoffMillis the pause just taken
   * @return twice it, at most {@link #MAX_BACKOFF_MS}
   */
  public static long nextBackoff(long backoffMillis) {
    return Math.min(MAX_BACKOFF_MS, backoffMillis * 2);
  }

  /**
   * Whether an error, or one of its causes, says the server could not be reached or is not
   * accepting connections yet.
   *
   * @param error the error opening a change log or a database connection
   * @return true for an I/O error (refused, timed out, reset), a timeout (a Kafka client that found
   *     no broker), or a PostgreSQL error of class 08 (connection exception), 57P01 to 57P03
   *     (shutting down, starting up) or 53300 (too many connections), per PostgreSQL's "Errors and
   *     Messages" appendix
   */
  public static boolean unreachable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException
          || t instanceof java.util.concurrent.TimeoutException
          || t instanceof org.apache.kafka.common.errors.TimeoutException) {
        return true;
      }
      if (t instanceof SQLException sql && unreachable(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a SQLSTATE says the server could not be reached or is not accepting connections yet.
   *
   * @param sqlState the state, or {@code null}
   * @return see {@link #unreachable(Throwable)}
   */
  public static boolean unreachable(String sqlState) {
    return sqlState != null
        && (sqlState.startsWith("08") || sqlState.startsWith("57P0") || "53300".equals(sqlState));
  }
}
