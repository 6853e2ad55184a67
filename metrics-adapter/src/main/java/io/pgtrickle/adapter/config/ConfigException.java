package io.pgtrickle.adapter.config;

/** A bad or missing setting; the message names it. The program exits with code 2. */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param message what is wrong, naming the setting
   */
  public ConfigException(String message) {
    super(message);
  }
}
