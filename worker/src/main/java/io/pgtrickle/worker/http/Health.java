package io.pgtrickle.worker.http;

import io.pgtrickle.program.http.Probe;
import io.pgtrickle.worker.runtime.WorkerState;
import java.time.Duration;

/**
 * The probe decisions, pure so they are unit tested.
 *
 * <ul>
 *   <li>Liveness ({@code /healthz}) fails when a loop is stuck: the scheduler has not completed a
 *       round, or (while this worker holds the ingest lease) the ingest has not made progress, for
 *       longer than {@code stuckAfter}. A database that does not answer does not fail it: the loops
 *       keep going round (each round fails fast), and restarting would not bring the database back.
 *   <li>Readiness ({@code /readyz}) means working: the catalog is installed, the last scheduler
 *       round reached the database, and the worker is not draining.
 * </ul>
 */
public final class Health {

  /**
   * A probe answer.
   *
   * @param ok whether the probe passes
   * @param message a one-line explanation for the response body
   */
  public record Verdict(boolean ok, String message) implements Probe {}

  private Health() {}

  /**
   * Decides liveness.
   *
   * @param state the worker's state
   * @param stuckAfter how long a loop may go without progress
   * @return the verdict
   */
  public static Verdict liveness(WorkerState state, Duration stuckAfter) {
    long limit = stuckAfter.toNanos();
    long scheduler = state.schedulerIdleNanos();
    if (scheduler > limit) {
      return new Verdict(
          false, "scheduler loop stuck: no round for " + scheduler / 1_000_000 + " ms");
    }
    if (state.holdsIngestLease() && state.ingestIdleNanos() > limit) {
      return new Verdict(
          false,
          "ingest loop stuck: no progress for " + state.ingestIdleNanos() / 1_000_000 + " ms");
    }
    return new Verdict(true, "ok");
  }

  /**
   * Decides readiness.
   *
   * @param state the worker's state
   * @return the verdict
   */
  public static Verdict readiness(WorkerState state) {
    if (state.isDraining()) {
      return new Verdict(false, "draining");
    }
    if (!state.isCatalogReady()) {
      return new Verdict(false, "catalog not installed yet: " + state.lastError());
    }
    if (!state.isDatabaseOk()) {
      return new Verdict(false, "database unavailable: " + state.lastError());
    }
    return new Verdict(true, "working");
  }
}
