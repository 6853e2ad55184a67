package io.pgtrickle.operator.api;

/** What happens to volumes when the cluster is deleted. */
public enum ReclaimPolicy {
  Retain,
  Delete
}
