package io.pgtrickle.changelog;

/**
 * A change event that breaks the format or the publishing contract: a missing or ill-typed field,
 * an event of another source than the one published to, or LSNs that do not increase.
 */
public class MalformedEventException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong, naming the field
   */
  public MalformedEventException(String message) {
    super(message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what is wrong, naming the field
   * @param cause the parser's error
   */
  public MalformedEventException(String message, Throwable cause) {
    super(message, cause);
  }
}
