package io.pgtrickle.operator.api;

/** PgBouncer pooling mode. */
public enum PoolMode {
  session,
  transaction,
  statement
}
