package io.pgtrickle.operator.testbed;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client writing one row after another through the primary Service, as an application would:
 * autocommit inserts, and after any error a new connection to whatever the Service then selects. It
 * remembers every id whose insert the server acknowledged, and when the last one was.
 */
public final class ContinuousWriter implements AutoCloseable {

  private final HaCluster cluster;
  private final String table;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong nextId = new AtomicLong(1);
  // Guarded by this; appended at up to a few thousand rows a second.
  private final List<Long> acknowledged = new ArrayList<>();
  private final List<Long> acknowledgedAtNanos = new ArrayList<>();
  private final List<String> acknowledgedBy = new ArrayList<>();
  private final Thread thread;

  /** Creates {@code table (id bigint primary key)} and starts writing to it. */
  public ContinuousWriter(HaCluster cluster, String table) {
    this.cluster = cluster;
    this.table = table;
    cluster.secondsUntilWritable(
        "create table if not exists " + table + " (id bigint primary key)");
    this.thread = new Thread(this::run, "continuous-writer");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (running.get()) {
      Optional<String> ip = cluster.primaryIp();
      if (ip.isEmpty()) {
        pause();
        continue;
      }
      try (Connection c = cluster.connect(ip.get());
          PreparedStatement insert =
              c.prepareStatement("insert into " + table + " (id) values (?)")) {
        while (running.get()) {
          long id = nextId.getAndIncrement();
          insert.setLong(1, id);
          insert.executeUpdate();
          long at = System.nanoTime();
          synchronized (this) {
            acknowledged.add(id);
            acknowledgedAtNanos.add(at);
            acknowledgedBy.add(ip.get());
          }
        }
      } catch (SQLException e) {
        pause();
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Ids the server acknowledged so far. */
  public synchronized List<Long> acknowledged() {
    return List.copyOf(acknowledged);
  }

  /**
   * Seconds from {@code sinceNanos} (a {@link System#nanoTime()}) to the first write acknowledged
   * after it, once there is one.
   */
  public Optional<Double> secondsToFirstAckAfter(long sinceNanos) {
    return secondsToFirstAckAfter(sinceNanos, null);
  }

  /**
   * As {@link #secondsToFirstAckAfter(long)}, counting only acknowledgments by a server other than
   * {@code notByIp}: a pod being deleted keeps serving until its processes have stopped.
   */
  public synchronized Optional<Double> secondsToFirstAckAfter(long sinceNanos, String notByIp) {
    int first = acknowledgedAtNanos.size();
    while (first > 0 && acknowledgedAtNanos.get(first - 1) > sinceNanos) {
      first--;
    }
    for (int i = first; i < acknowledgedAtNanos.size(); i++) {
      if (notByIp == null || !notByIp.equals(acknowledgedBy.get(i))) {
        return Optional.of((acknowledgedAtNanos.get(i) - sinceNanos) / 1e9);
      }
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    running.set(false);
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
