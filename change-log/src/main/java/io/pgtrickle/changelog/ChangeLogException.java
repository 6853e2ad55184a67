package io.pgtrickle.changelog;

/**
 * A backend failed to do what was asked: the server refused, the connection broke, or a file could
 * not be written. Futures of {@link ChangeLogBackend} complete exceptionally with it.
 */
public class ChangeLogException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed
   * @param cause the underlying error, or {@code null}
   */
  public ChangeLogException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Creates the exception.
   *
   * @param message what failed
   */
  public ChangeLogException(String message) {
    super(message);
  }
}
