package io.pgtrickle.operator.api;

/** Lifecycle phase of a {@link PostgresCluster}, shown in the STATUS column. */
public enum ClusterPhase {
  /** Accepted; nothing created yet. */
  Pending,
  /** Children created, waiting for the first members to become ready. */
  Creating,
  /** All members ready and a primary elected. */
  Running,
  /** A configuration or resource change is rolling out. */
  Updating,
  /** The number of members is changing. */
  Scaling,
  /** Some members are not ready, but a primary serves writes. */
  Degraded,
  /** No primary right now; Patroni is electing a new one. */
  Recovering,
  /** The cluster cannot reach its desired state without a change by the user. */
  Failed,
  /** The cluster is being deleted. */
  Deleting
}
