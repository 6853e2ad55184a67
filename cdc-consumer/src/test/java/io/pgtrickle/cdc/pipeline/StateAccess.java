package io.pgtrickle.cdc.pipeline;

/** Sets {@link ConsumerState} from tests in other packages. */
public final class StateAccess {

  private StateAccess() {}

  public static void lag(ConsumerState s, long bytes) {
    s.slotLagBytes(bytes);
  }

  public static void streaming(ConsumerState s, boolean value) {
    s.streaming(value);
  }

  public static void publishFailing(ConsumerState s, boolean value) {
    s.publishFailing(value);
  }

  public static void stuck(ConsumerState s, String message) {
    s.stuck(message);
  }

  public static void refused(ConsumerState s, String message) {
    s.refused(message);
  }

  public static void terminal(ConsumerState s, String message) {
    s.terminal(message);
  }
}
