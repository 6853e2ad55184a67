package io.pgtrickle.worker.runtime;

import java.util.function.LongSupplier;

/**
 * What the probes read: when each loop last made progress, whether the catalog is installed,
 * whether the database answered, whether the worker is draining. Written by the loops, read by the
 * HTTP thread; every field is a single volatile value.
 */
public final class WorkerState {

  private final LongSupplier nanoClock;
  private volatile boolean catalogReady;
  private volatile boolean draining;
  private volatile boolean databaseOk;
  private volatile long schedulerProgress;
  private volatile boolean ingestLeaseHeld;
  private volatile long ingestProgress;
  private volatile String lastError = "none";

  /** A state on the system's monotonic clock. */
  public WorkerState() {
    this(System::nanoTime);
  }

  /**
   * A state on the given clock (tests).
   *
   * @param nanoClock monotonic nanoseconds
   */
  public WorkerState(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    long now = nanoClock.getAsLong();
    schedulerProgress = now;
    ingestProgress = now;
  }

  /**
   * Returns the clock's current value.
   *
   * @return monotonic nanoseconds
   */
  public long now() {
    return nanoClock.getAsLong();
  }

  /** The catalog is installed and current. */
  public void catalogReady() {
    catalogReady = true;
  }

  public boolean isCatalogReady() {
    return catalogReady;
  }

  /** SIGTERM arrived: no more claims. */
  public void draining() {
    draining = true;
  }

  public boolean isDraining() {
    return draining;
  }

  /**
   * The scheduler completed a round.
   *
   * @param ok whether it reached the database
   */
  public void schedulerRound(boolean ok) {
    schedulerProgress = now();
    databaseOk = ok;
  }

  public boolean isDatabaseOk() {
    return databaseOk;
  }

  /**
   * Nanoseconds since the scheduler last completed a round.
   *
   * @return the age of the last round
   */
  public long schedulerIdleNanos() {
    return now() - schedulerProgress;
  }

  /**
   * Whether this worker holds the ingest lease; taking it counts as progress.
   *
   * @param held true while held
   */
  public void ingestLease(boolean held) {
    if (held && !ingestLeaseHeld) {
      ingestProgress = now();
    }
    ingestLeaseHeld = held;
  }

  public boolean holdsIngestLease() {
    return ingestLeaseHeld;
  }

  /** The ingest committed a batch or completed a round. */
  public void ingestProgress() {
    ingestProgress = now();
  }

  /**
   * Nanoseconds since the ingest last made progress.
   *
   * @return the age of its last progress
   */
  public long ingestIdleNanos() {
    return now() - ingestProgress;
  }

  /**
   * Remembers the last failure for the probes' messages (never holds secrets: messages of
   * PostgreSQL and the change log do not carry passwords).
   *
   * @param message a one-line description
   */
  public void error(String message) {
    lastError = message;
  }

  public String lastError() {
    return lastError;
  }
}
