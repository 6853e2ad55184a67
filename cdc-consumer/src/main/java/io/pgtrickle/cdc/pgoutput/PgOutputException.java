package io.pgtrickle.cdc.pgoutput;

/** A pgoutput message that cannot be decoded: a protocol mismatch, never a transient failure. */
public class PgOutputException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong
   */
  public PgOutputException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what is wrong
   * @param cause the underlying error
   */
  public PgOutputException(String message, Throwable cause) {
    super(message, cause);
  }
}
