package io.pgtrickle.worker.it;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes to {@code public.items} and {@code public.tags}: small transactions of inserts, updates
 * and deletes at a steady rate on one thread, plus, when asked, a long transaction (open across
 * several refreshes) and a TRUNCATE of {@code tags}.
 */
public final class Workload implements AutoCloseable {

  /** The source tables. */
  public static final String[] TABLES = {
    "CREATE TABLE public.items (id bigint PRIMARY KEY, grp int NOT NULL, v int NOT NULL)",
    "CREATE TABLE public.tags (id bigint PRIMARY KEY, item_id bigint NOT NULL, tag text NOT NULL)"
  };

  private final PipelineDb db;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong transactions = new AtomicLong();
  private final Thread thread;
  private volatile Throwable failure;

  /**
   * Starts writing.
   *
   * @param db the database
   * @param seed the random seed
   * @param transactionsPerSecond the pace
   */
  public Workload(PipelineDb db, long seed, int transactionsPerSecond) {
    this.db = db;
    thread = new Thread(() -> run(new Random(seed), transactionsPerSecond), "workload");
    thread.start();
  }

  private void run(Random random, int rate) {
    List<Long> items = new ArrayList<>();
    List<Long> tags = new ArrayList<>();
    long nextId = 1_000;
    long pauseNanos = 1_000_000_000L / rate;
    try (Connection c = db.connect();
        PreparedStatement insert = c.prepareStatement("INSERT INTO public.items VALUES (?, ?, ?)");
        PreparedStatement update =
            c.prepareStatement("UPDATE public.items SET v = v + ?, grp = ? WHERE id = ?");
        PreparedStatement delete = c.prepareStatement("DELETE FROM public.items WHERE id = ?");
        PreparedStatement tag = c.prepareStatement("INSERT INTO public.tags VALUES (?, ?, ?)");
        PreparedStatement untag = c.prepareStatement("DELETE FROM public.tags WHERE id = ?")) {
      c.setAutoCommit(false);
      long next = System.nanoTime();
      while (!stop.get()) {
        int ops = 1 + random.nextInt(5);
        for (int i = 0; i < ops; i++) {
          int kind = random.nextInt(10);
          if (kind < 4 || items.isEmpty()) {
            long id = nextId++;
            insert.setLong(1, id);
            insert.setInt(2, random.nextInt(10));
            insert.setInt(3, random.nextInt(100));
            insert.executeUpdate();
            items.add(id);
          } else if (kind < 7) {
            update.setInt(1, random.nextInt(21) - 10);
            update.setInt(2, random.nextInt(10));
            update.setLong(3, items.get(random.nextInt(items.size())));
            update.executeUpdate();
          } else if (kind < 8) {
            delete.setLong(1, items.remove(random.nextInt(items.size())));
            delete.executeUpdate();
          } else if (kind < 9 || tags.isEmpty()) {
            long id = nextId++;
            tag.setLong(1, id);
            tag.setLong(2, items.get(random.nextInt(items.size())));
            tag.setString(3, "t" + random.nextInt(5));
            tag.executeUpdate();
            tags.add(id);
          } else {
            untag.setLong(1, tags.remove(random.nextInt(tags.size())));
            untag.executeUpdate();
          }
        }
        c.commit();
        transactions.incrementAndGet();
        next += pauseNanos;
        long sleep = next - System.nanoTime();
        if (sleep > 0) {
          Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
        } else {
          next = System.nanoTime();
        }
      }
    } catch (Throwable t) {
      failure = t;
    }
  }

  /**
   * A transaction that stays open for {@code millis} (inserting and updating items of its own, ids
   * from 10,000,000 up) and then commits, on a thread of its own.
   *
   * @return the thread; join it to wait for the commit
   */
  public Thread longTransaction(long millis) {
    Thread t =
        new Thread(
            () -> {
              try (Connection c = db.connect();
                  Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.execute(
                    "INSERT INTO public.items SELECT 10000000 + g, g % 10, g FROM"
                        + " generate_series(1, 50) g");
                Thread.sleep(millis / 2);
                s.execute(
                    "UPDATE public.items SET v = v + 1000 WHERE id > 10000000 AND id % 2 = 0");
                Thread.sleep(millis / 2);
                c.commit();
              } catch (SQLException | InterruptedException e) {
                failure = e;
              }
            },
            "long-transaction");
    t.start();
    return t;
  }

  /** Empties {@code tags} and adds a few rows back, in one transaction. */
  public void truncateTags() {
    db.sql(
        "BEGIN; TRUNCATE public.tags; INSERT INTO public.tags SELECT 20000000 + id * 2 + g, id, 'after'"
            + " FROM public.items, generate_series(1, 2) g WHERE id % 7 = 0; COMMIT");
  }

  public long transactions() {
    return transactions.get();
  }

  @Override
  public void close() {
    stop.set(true);
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failure != null) {
      throw new AssertionError("the workload failed", failure);
    }
  }
}
