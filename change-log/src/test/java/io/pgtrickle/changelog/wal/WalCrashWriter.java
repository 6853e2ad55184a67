package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.TestEvents;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The child process of {@link WalCrashIT}: publishes to four sources as fast as it can and prints
 * {@code ACK <source> <lsn>} once a publish future completed, until it is killed. LSNs of run
 * {@code r} start at {@code r * 1_000_000 + 1}.
 */
public final class WalCrashWriter {

  public static final int SOURCES = 4;
  public static final long RUN_SPAN = 1_000_000;

  private WalCrashWriter() {}

  public static void main(String[] args) throws Exception {
    String dir = args[0];
    long run = Long.parseLong(args[1]);
    PrintStream out = new PrintStream(System.out, true);
    ChangeLogBackend log = ChangeLogBackends.open("file://" + dir + "?consumer=writer&segmentMb=1");
    out.println("READY");
    List<Thread> threads = new ArrayList<>();
    for (int s = 1; s <= SOURCES; s++) {
      long source = s;
      Thread t =
          new Thread(
              () -> {
                long lsn = run * RUN_SPAN;
                while (true) {
                  List<ChangeEvent> batch = new ArrayList<>();
                  for (int i = 0; i < 20; i++) {
                    batch.add(TestEvents.sized(source, ++lsn, 1024));
                  }
                  TestEvents.await(log.publish(source, batch));
                  synchronized (out) {
                    out.println("ACK " + source + " " + lsn);
                  }
                }
              });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
  }
}
