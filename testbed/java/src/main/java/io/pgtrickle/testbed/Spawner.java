package io.pgtrickle.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts the pod player's processes from one thread that lives as long as the JVM.
 *
 * <p>A process started with a parent-death signal ({@code setpriv --pdeathsig KILL}) gets it when
 * the <em>thread</em> that forked it ends, not the process (prctl(2), PR_SET_PDEATHSIG). Pods are
 * started from informer callbacks and timers, whose pool threads come and go: a pod started from
 * one would be killed when that thread is retired. From this thread, the signal comes exactly when
 * the JVM ends, however it ends (SIGKILL included), so no pod process outlives the pod player.
 */
final class Spawner {

  private static final ExecutorService THREAD =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "pod-spawner");
            t.setDaemon(true);
            return t;
          });

  private Spawner() {}

  static Process start(ProcessBuilder builder) throws IOException {
    try {
      return THREAD
          .submit(
              () -> {
                try {
                  return builder.start();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UncheckedIOException io) {
        throw io.getCause();
      }
      throw new IllegalStateException("cannot start " + builder.command(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + builder.command(), e);
    }
  }
}
