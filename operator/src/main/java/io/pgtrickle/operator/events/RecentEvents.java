package io.pgtrickle.operator.events;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Events recorded lately, to drop the same one recorded again within {@link #WINDOW}: two
 * reconciles a second apart can both start from a status cached before the first one's patch and
 * both report the same transition ({@code WorkersScaled "from 2 to 3"}, {@code ClusterReady},
 * {@code PrimaryLost} seen twice by a user, each with count 1). Kubernetes' own recorder folds such
 * repeats into one Event too. Thread-safe; bounded: entries older than the window are swept once
 * the map grows past {@value #SWEEP_AT}.
 */
final class RecentEvents {

  /** How long the same Event is not recorded again. */
  static final Duration WINDOW = Duration.ofSeconds(10);

  private static final int SWEEP_AT = 1024;

  private final Map<String, Instant> recorded = new ConcurrentHashMap<>();

  /**
   * Whether an Event with this identity should be recorded at {@code now}: true unless the same one
   * was within {@link #WINDOW}. Records it when true.
   *
   * @param key the involved object's UID, the type, the reason and the message
   */
  boolean first(String key, Instant now) {
    if (recorded.size() > SWEEP_AT) {
      recorded.values().removeIf(at -> at.plus(WINDOW).isBefore(now));
    }
    boolean[] fresh = {false};
    recorded.compute(
        key,
        (k, at) -> {
          if (at == null || !at.plus(WINDOW).isAfter(now)) {
            fresh[0] = true;
            return now;
          }
          return at;
        });
    return fresh[0];
  }
}
