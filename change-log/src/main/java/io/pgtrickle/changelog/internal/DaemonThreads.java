package io.pgtrickle.changelog.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads, so that a backend left open never keeps a JVM alive. */
public final class DaemonThreads implements ThreadFactory {

  private final String prefix;
  private final AtomicInteger count = new AtomicInteger();

  /**
   * Creates a factory.
   *
   * @param prefix the thread name prefix, e.g. {@code changelog-pg}
   */
  public DaemonThreads(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
    t.setDaemon(true);
    return t;
  }
}
