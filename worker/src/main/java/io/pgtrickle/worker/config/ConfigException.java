package io.pgtrickle.worker.config;

/** A bad or missing setting; the message names the environment variable and the flag. */
public class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong, naming the setting
   */
  public ConfigException(String message) {
    super(message);
  }
}
