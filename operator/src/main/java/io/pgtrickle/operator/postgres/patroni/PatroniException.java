package io.pgtrickle.operator.postgres.patroni;

/** A Patroni REST call that did not succeed; the message never contains credentials. */
public class PatroniException extends RuntimeException {

  public PatroniException(String message) {
    super(message);
  }

  public PatroniException(String message, Throwable cause) {
    super(message, cause);
  }
}
