package io.pgtrickle.operator.api.streams;

/** Lifecycle phase of a {@link StreamTableCluster}. */
public enum StreamTableClusterPhase {
  /** Accepted, nothing created yet (waiting for the database or the change log). */
  Pending,
  /** Children created, not every consumer and worker ready yet. */
  Creating,
  /** Change log ready, every CDC consumer and at least min workers ready. */
  Running,
  /** Was running, and a consumer, the workers or the database are not all right now. */
  Degraded,
  /** A problem that needs the user (a missing Secret or PostgresCluster, a refused database). */
  Failed,
  /** Being deleted: consumers stopped, slots dropped, change log removed. */
  Deleting
}
