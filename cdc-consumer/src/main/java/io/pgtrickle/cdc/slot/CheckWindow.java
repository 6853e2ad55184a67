package io.pgtrickle.cdc.slot;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * When {@link StaleSlotCopies} checks the members: for a while after the primary's standby
 * connections change (a member rejoins by opening a new one), and after the first look. Long enough
 * to outlast DNS caches, which may still hide a recreated pod's new address for 30 s; otherwise
 * nothing is checked, so a steady cluster costs one query per round.
 */
final class CheckWindow {

  private final Duration length;
  private Set<String> lastConnections;
  private Instant openUntil = Instant.MIN;

  CheckWindow(Duration length) {
    this.length = length;
  }

  /**
   * Whether to check now.
   *
   * @param connections the identities of the primary's standby connections now
   * @param now the time
   * @return true while within {@code length} of the last change
   */
  boolean check(Set<String> connections, Instant now) {
    if (!connections.equals(lastConnections)) {
      lastConnections = Set.copyOf(connections);
      openUntil = now.plus(length);
    }
    return !now.isAfter(openUntil);
  }
}
