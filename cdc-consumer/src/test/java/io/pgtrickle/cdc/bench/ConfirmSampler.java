package io.pgtrickle.cdc.bench;

import io.pgtrickle.cdc.it.SourceDb;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the worker waits for (CONTRACTS.md §4): takes {@code L = pg_current_wal_insert_lsn()}, then
 * polls the slot every millisecond until {@code confirmed_flush_lsn >= L}, and records how long
 * that took; again every 100 ms until closed. Runs on its own thread and connection.
 */
final class ConfirmSampler implements AutoCloseable {

  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Double> millis = Collections.synchronizedList(new ArrayList<>());
  private final Thread thread;

  ConfirmSampler(SourceDb db, String slot) {
    thread = new Thread(() -> run(db, slot), "confirm-sampler");
    thread.start();
  }

  private void run(SourceDb db, String slot) {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        PreparedStatement passed =
            c.prepareStatement(
                "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots"
                    + " WHERE slot_name = ?")) {
      passed.setString(2, slot);
      while (!stop.get()) {
        String l;
        try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
          rs.next();
          l = rs.getString(1);
        }
        long t0 = System.nanoTime();
        passed.setString(1, l);
        boolean done = false;
        while (!done && !stop.get()) {
          try (ResultSet rs = passed.executeQuery()) {
            done = rs.next() && rs.getBoolean(1);
          }
          if (!done) {
            Thread.sleep(1);
          }
        }
        if (done) {
          millis.add((System.nanoTime() - t0) / 1e6);
        }
        Thread.sleep(100);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Stops sampling.
   *
   * @return p50 and p95 in milliseconds, and the number of samples
   */
  double[] finish() throws InterruptedException {
    stop.set(true);
    thread.join(TimeUnit.SECONDS.toMillis(30));
    List<Double> sorted;
    synchronized (millis) {
      sorted = new ArrayList<>(millis);
    }
    Collections.sort(sorted);
    return new double[] {pct(sorted, 0.5), pct(sorted, 0.95), sorted.size()};
  }

  private static double pct(List<Double> sorted, double p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    return sorted.get(
        (int) Math.max(0, Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1)));
  }

  @Override
  public void close() throws InterruptedException {
    finish();
  }
}
