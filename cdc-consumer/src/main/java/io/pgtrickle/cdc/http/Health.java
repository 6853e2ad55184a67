package io.pgtrickle.cdc.http;

import io.pgtrickle.cdc.pipeline.ConsumerState;

/**
 * The probe decisions, pure so they are unit tested.
 *
 * <ul>
 *   <li>Liveness ({@code /healthz}) fails only when the slot lag is above the threshold: then the
 *       consumer is alive but not keeping up, and a restart is the remedy the probe can offer. An
 *       unknown lag (source unreachable) does not fail it: restarting would not bring the source
 *       back, and the reconnect loop is already waiting for it.
 *   <li>Readiness ({@code /readyz}) means consuming: a stream is open and the change log accepts
 *       publishes.
 * </ul>
 */
public final class Health {

  /**
   * A probe answer.
   *
   * @param ok whether the probe passes
   * @param message a one-line explanation for the response body
   */
  public record Verdict(boolean ok, String message) {}

  private Health() {}

  /**
   * Decides liveness.
   *
   * @param state the consumer's state
   * @param maxLagBytes the threshold
   * @return the verdict
   */
  public static Verdict liveness(ConsumerState state, long maxLagBytes) {
    long lag = state.slotLagBytes();
    if (lag > maxLagBytes) {
      return new Verdict(false, "slot lag " + lag + " bytes is above " + maxLagBytes);
    }
    return new Verdict(true, lag < 0 ? "ok (slot lag unknown)" : "ok (slot lag " + lag + " bytes)");
  }

  /**
   * Decides readiness.
   *
   * @param state the consumer's state
   * @return the verdict
   */
  public static Verdict readiness(ConsumerState state) {
    if (!state.streaming()) {
      return new Verdict(false, "not streaming: " + state.lastError());
    }
    if (state.publishFailing()) {
      return new Verdict(false, "change log unavailable: " + state.lastError());
    }
    return new Verdict(true, "consuming");
  }
}
