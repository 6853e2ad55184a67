package io.pgtrickle.cdc.capture;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits until the transactions running now have ended. After {@code ALTER PUBLICATION ... ADD
 * TABLE} commits, a transaction that was already running may still be decoded without the table
 * (logical decoding reads the catalog as of the transaction's start), so only what commits after
 * those transactions ended is surely captured. Transactions without a transaction id have written
 * nothing yet, and get one only after the ALTER, so they are not waited for.
 */
final class InFlightTransactions {

  private static final Logger LOG = LoggerFactory.getLogger(InFlightTransactions.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);

  private InFlightTransactions() {}

  /**
   * Waits for every transaction that holds a transaction id now (prepared ones included) to end.
   *
   * @param c an auto-commit connection
   * @param why what is waiting, for the log when it takes long
   * @param stop ends the wait early when it turns true
   * @return {@code true} once they all ended, {@code false} if stopped
   * @throws SQLException on a database error
   */
  static boolean awaitEnded(Connection c, String why, BooleanSupplier stop) throws SQLException {
    List<String> xids = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_snapshot_xip(pg_current_snapshot())::text")) {
      while (rs.next()) {
        xids.add(rs.getString(1));
      }
    }
    long start = System.nanoTime();
    long nextWarn = start + WARN_EVERY_NANOS;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT array_agg(x::text) FROM unnest(?::text[]::xid8[]) AS x"
                + " WHERE pg_xact_status(x) = 'in progress'")) {
      while (!xids.isEmpty()) {
        ps.setArray(1, c.createArrayOf("text", xids.toArray()));
        xids.clear();
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getArray(1) != null) {
            for (Object x : (Object[]) rs.getArray(1).getArray()) {
              xids.add((String) x);
            }
          }
        }
        if (xids.isEmpty()) {
          return true;
        }
        if (stop.getAsBoolean()) {
          return false;
        }
        if (System.nanoTime() > nextWarn) {
          LOG.warn(
              "{}: still waiting after {} s for transactions {} to end (long-running or prepared"
                  + " transactions delay the start of capture)",
              why,
              TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
              xids);
          nextWarn += WARN_EVERY_NANOS;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return true;
  }
}
