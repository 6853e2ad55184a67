package io.pgtrickle.operator.postgres.rollout;

import java.util.List;

/** The next step of bringing a cluster's pods to the desired state, one at a time. */
public sealed interface RolloutAction {

  /** Nothing to do, or wait for the previous step to settle. */
  record Wait(String reason) implements RolloutAction {}

  /** All pods are up to date. */
  record Done() implements RolloutAction {}

  /** Resize these pods' CPU and memory in place, without a restart. */
  record Resize(List<String> pods) implements RolloutAction {}

  /** Delete this pod so the StatefulSet recreates it from the new template. */
  record Restart(String pod) implements RolloutAction {}

  /**
   * Ask Patroni to restart this member's PostgreSQL in place, to apply parameters that wait for a
   * restart ({@code pending_restart}); {@code parameters} says which, as "name old → new".
   */
  record RestartPostgres(String pod, String parameters) implements RolloutAction {}

  /** Ask Patroni to move the primary away before the pod is restarted or removed. */
  record Switchover(String from, String to) implements RolloutAction {}
}
