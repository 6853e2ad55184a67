package io.pgtrickle.program.http;

/**
 * A probe answer: each program's {@code Health.Verdict} record implements it, so its pure probe
 * decisions stay its own.
 */
public interface Probe {

  /**
   * Whether the probe passes.
   *
   * @return true: 200, false: 503
   */
  boolean ok();

  /**
   * A one-line explanation.
   *
   * @return the response body, without the final newline
   */
  String message();
}
