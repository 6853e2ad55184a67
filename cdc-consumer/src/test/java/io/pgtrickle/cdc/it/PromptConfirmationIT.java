package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CONTRACTS.md §2, prompt confirmation: the worker takes {@code L = pg_current_wal_insert_lsn()}
 * and waits for {@code confirmed_flush_lsn >= L}. With the captured table idle while another table
 * is written, the slot passes L without any change of its own to publish (keepalive-driven); with
 * the captured table written, it passes L as the next commits are published. Each wait must end
 * within 5 s (a loaded machine), and the p95 within 1 s; {@code make bench-cdc} measures the real
 * figures.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PromptConfirmationIT {

  private static final String SLOT = "prompt";
  private static final int SAMPLES = 30;

  @Test
  void theSlotPassesAnInsertPositionPromptlyIdleAndUnderLoad() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)", "CREATE TABLE other (id int8)");
      Path dir = ServerProcess.targetDir("prompt");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "t", SLOT, uri);
      env.put("PGTRICKLE_STATUS_INTERVAL_MS", "10000"); // no help from periodic status updates
      try (ChangeLogBackend log = ChangeLogBackends.open(uri);
          Consumers.InProcess consumer = new Consumers.InProcess(env, log, null);
          Connection c = db.connect()) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        List<Double> idle;
        try (Load unrelated = new Load(db, "other")) {
          idle = sample(c);
        }
        List<Double> busy;
        try (Load captured = new Load(db, "t")) {
          busy = sample(c);
        }
        System.out.printf(
            "confirmed_flush_lsn >= L after: idle p50 %.1f ms p95 %.1f ms; captured table"
                + " written p50 %.1f ms p95 %.1f ms%n",
            pct(idle, 0.5), pct(idle, 0.95), pct(busy, 0.5), pct(busy, 0.95));
        assertThat(pct(idle, 0.95)).as("idle p95 ms").isLessThan(1000);
        assertThat(pct(busy, 0.95)).as("loaded p95 ms").isLessThan(1000);
      }
    }
  }

  /** Milliseconds from taking L until the slot's confirmed position passes it, SAMPLES times. */
  private static List<Double> sample(Connection c) throws Exception {
    List<Double> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        PreparedStatement passed =
            c.prepareStatement(
                "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots"
                    + " WHERE slot_name = '"
                    + SLOT
                    + "'")) {
      for (int i = 0; i < SAMPLES; i++) {
        String l;
        try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
          rs.next();
          l = rs.getString(1);
        }
        long t0 = System.nanoTime();
        passed.setString(1, l);
        while (true) {
          try (ResultSet rs = passed.executeQuery()) {
            rs.next();
            if (rs.getBoolean(1)) {
              break;
            }
          }
          double waited = (System.nanoTime() - t0) / 1e6;
          assertThat(waited).as("ms until confirmed_flush_lsn >= %s", l).isLessThan(5000);
          Thread.sleep(1);
        }
        out.add((System.nanoTime() - t0) / 1e6);
        Thread.sleep(50);
      }
    }
    return out;
  }

  private static double pct(List<Double> values, double p) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
  }

  /** One insert every 5 ms into a table, on its own thread. */
  private static final class Load implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Load(SourceDb db, String table) {
      thread =
          new Thread(
              () -> {
                try (Connection c = db.connect();
                    Statement s = c.createStatement()) {
                  for (long id = 1_000_000L * table.length(); !stop.get(); id++) {
                    s.execute("INSERT INTO " + table + " VALUES (" + id + ")");
                    Thread.sleep(5);
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              "load-" + table);
      thread.start();
      ServerProcess.sleep(200);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join();
    }
  }
}
