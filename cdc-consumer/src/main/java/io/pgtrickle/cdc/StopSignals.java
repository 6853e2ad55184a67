package io.pgtrickle.cdc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a request to stop. The JVM's own handling runs the shutdown hooks and then
 * exits with 128 + the signal (143 for SIGTERM) whatever the program did, so a clean drain would
 * look like a failure to Kubernetes and to scripts. With these handlers the signal only starts the
 * drain; {@code main} then returns and exits with 0 (or with the code of a failure).
 *
 * <p>{@code sun.misc.Signal} is in the {@code jdk.unsupported} module, which exists exactly for
 * such uses and is exported by every JDK the project supports.
 */
final class StopSignals {

  private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);

  private StopSignals() {}

  /**
   * Installs {@code stop} as the handler of SIGTERM and SIGINT.
   *
   * @param stop what a signal does (it must return promptly; the drain runs elsewhere)
   * @return {@code false} if the handlers could not be installed (the JVM reserved the signals,
   *     e.g. with {@code -Xrs}); the caller then falls back to a shutdown hook
   */
  static boolean handle(Runnable stop) {
    try {
      for (String name : new String[] {"TERM", "INT"}) {
        Signal.handle(
            new Signal(name),
            signal -> {
              LOG.info("received SIG{}", signal.getName());
              stop.run();
            });
      }
      return true;
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.warn("cannot handle SIGTERM/SIGINT ({}); a stop will exit with 143", e.toString());
      return false;
    }
  }
}
