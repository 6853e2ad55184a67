package io.pgtrickle.cdc.it;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One writer thread: transactions of 1 to 8 inserts, updates and deletes on {@code items} and
 * {@code notes}. Each committed change is recorded as "ACTION id" per table, in commit order (one
 * writer, so commit order is program order): the source's committed history to compare the change
 * log with.
 */
final class Workload implements AutoCloseable {

  final List<String> items = Collections.synchronizedList(new ArrayList<>());
  final List<String> notes = Collections.synchronizedList(new ArrayList<>());
  private final SourceDb db;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;
  private volatile Throwable failure;

  /** Creates the tables; before the consumer starts, which publishes them. */
  static void createTables(SourceDb db) {
    db.sql(
        "CREATE TABLE items (id int8 PRIMARY KEY, v int4 NOT NULL, pad text)",
        "CREATE TABLE notes (id int8 PRIMARY KEY, body text)");
  }

  Workload(SourceDb db, long seed, long pauseMicros) {
    this.db = db;
    thread = new Thread(() -> run(new Random(seed), pauseMicros), "workload");
    thread.start();
  }

  private void run(Random random, long pauseMicros) {
    List<Long> live = new ArrayList<>();
    long nextId = 1;
    try (Connection c = db.connect();
        PreparedStatement insert =
            c.prepareStatement("INSERT INTO items VALUES (?, 0, repeat('x', 100))");
        PreparedStatement update = c.prepareStatement("UPDATE items SET v = v + 1 WHERE id = ?");
        PreparedStatement delete = c.prepareStatement("DELETE FROM items WHERE id = ?");
        PreparedStatement note = c.prepareStatement("INSERT INTO notes VALUES (?, 'n')")) {
      c.setAutoCommit(false);
      while (!stop.get()) {
        List<String> txItems = new ArrayList<>();
        List<String> txNotes = new ArrayList<>();
        int ops = 1 + random.nextInt(8);
        for (int i = 0; i < ops; i++) {
          int kind = random.nextInt(10);
          if (kind < 5 || live.isEmpty()) {
            long id = nextId++;
            insert.setLong(1, id);
            insert.executeUpdate();
            live.add(id);
            txItems.add("INSERT " + id);
          } else if (kind < 8) {
            long id = live.get(random.nextInt(live.size()));
            update.setLong(1, id);
            update.executeUpdate();
            txItems.add("UPDATE " + id);
          } else if (kind < 9) {
            long id = live.remove(random.nextInt(live.size()));
            delete.setLong(1, id);
            delete.executeUpdate();
            txItems.add("DELETE " + id);
          } else {
            long id = nextId++;
            note.setLong(1, id);
            note.executeUpdate();
            txNotes.add("INSERT " + id);
          }
        }
        c.commit();
        items.addAll(txItems);
        notes.addAll(txNotes);
        if (pauseMicros > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(pauseMicros * 1000);
        }
      }
    } catch (SQLException | RuntimeException e) {
      failure = e;
    }
  }

  /** Stops writing and returns once the last transaction committed. */
  @Override
  public void close() {
    stop.set(true);
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failure != null) {
      throw new IllegalStateException("workload failed", failure);
    }
  }
}
