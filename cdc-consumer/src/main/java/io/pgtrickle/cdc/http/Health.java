package io.pgtrickle.cdc.http;

import io.pgtrickle.cdc.pipeline.ConsumerState;
import io.pgtrickle.program.http.Probe;
import java.util.Map;

/**
 * The probe decisions, pure so they are unit tested.
 *
 * <ul>
 *   <li>Liveness ({@code /healthz}) fails when the consumer cannot or does not do its job and a
 *       restart is the remedy the probe can offer: its slot is lost (terminal: the process exits
 *       too), it is stuck (the source has WAL for the slot and nothing moved for the stuck
 *       timeout), or the slot lag is above the threshold. An unknown lag (source unreachable), a
 *       change log that refuses publishes and a source that refuses the consumer (a privilege, the
 *       password; {@link ConsumerState#refused()}) do not fail it, nor count as stuck: restarting
 *       would not bring any of them back, and the consumer is already waiting for them ({@code
 *       /readyz} says so).
 *   <li>Readiness ({@code /readyz}) means consuming everything it should: a stream is open, the
 *       change log accepts publishes, the source refuses nothing the consumer needs, the consumer
 *       is not stuck, and every table it should capture is captured.
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
   * @param state the consumer's state
   * @param maxLagBytes the threshold
   * @return the verdict
   */
  public static Verdict liveness(ConsumerState state, long maxLagBytes) {
    if (!state.terminal().isEmpty()) {
      return new Verdict(false, state.terminal());
    }
    if (!state.stuck().isEmpty()) {
      return new Verdict(false, state.stuck());
    }
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
    if (!state.terminal().isEmpty()) {
      return new Verdict(false, state.terminal());
    }
    if (!state.streaming()) {
      return new Verdict(false, "not streaming: " + state.lastError());
    }
    if (!state.refused().isEmpty()) {
      return new Verdict(false, state.refused());
    }
    if (state.publishFailing()) {
      return new Verdict(false, "change log unavailable: " + state.lastError());
    }
    if (!state.stuck().isEmpty()) {
      return new Verdict(false, state.stuck());
    }
    Map<String, String> problems = state.captureProblems();
    if (!problems.isEmpty()) {
      return new Verdict(
          false,
          "not capturing "
              + problems.size()
              + " table(s): "
              + String.join("; ", problems.values()));
    }
    return new Verdict(true, "consuming");
  }
}
