package io.pgtrickle.operator.postgres.patroni;

/** A Patroni REST call that did not succeed; the message never contains credentials. */
public class PatroniException extends RuntimeException {

  private final boolean answered;

  /** Patroni answered, but not with success: it refused what was asked. */
  public PatroniException(String message) {
    super(message);
    this.answered = true;
  }

  /** Patroni could not be reached or did not answer in time. */
  public PatroniException(String message, Throwable cause) {
    super(message, cause);
    this.answered = false;
  }

  /** True when Patroni answered and refused; false when it was not reached. */
  public boolean refused() {
    return answered;
  }
}
