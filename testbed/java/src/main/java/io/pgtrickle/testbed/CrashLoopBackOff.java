package io.pgtrickle.testbed;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The kubelet's restart back-off for a container that keeps crashing: the first crash restarts at
 * once, the next ones after 10 s, doubling up to 5 minutes; a container that ran 10 minutes without
 * crashing starts over. (Kubernetes' defaults; a test that crashes the same pod again soon sees the
 * pod stay down as long as it would on a real node.)
 */
final class CrashLoopBackOff {

  static final Duration INITIAL = Duration.ofSeconds(10);
  static final Duration MAX = Duration.ofMinutes(5);
  static final Duration RESET_AFTER = Duration.ofMinutes(10);

  private record Entry(Duration last, Instant at) {}

  private final Map<String, Entry> byContainer = new HashMap<>();

  /** How long the kubelet waits before restarting the container that crashed {@code now}. */
  synchronized Duration next(String container, Instant now) {
    Entry previous = byContainer.get(container);
    Duration delay;
    if (previous == null || Duration.between(previous.at(), now).compareTo(RESET_AFTER) > 0) {
      delay = Duration.ZERO;
    } else if (previous.last().isZero()) {
      delay = INITIAL;
    } else {
      delay = previous.last().multipliedBy(2);
      delay = delay.compareTo(MAX) > 0 ? MAX : delay;
    }
    byContainer.put(container, new Entry(delay, now.plus(delay)));
    return delay;
  }
}
