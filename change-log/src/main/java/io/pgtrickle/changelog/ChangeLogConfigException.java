package io.pgtrickle.changelog;

/**
 * The change log configuration is wrong: a malformed URI, an unknown scheme, a bad parameter, or a
 * server that cannot be reached. The message names the setting at fault.
 */
public class ChangeLogConfigException extends ChangeLogException {
  private static final long serialVersionUID = 1L;

  private final String setting;

  /**
   * Creates the exception.
   *
   * @param setting the setting at fault, e.g. {@code "uri"} or {@code "stream"}
   * @param message what is wrong with it
   * @param cause the underlying error, or {@code null}
   */
  public ChangeLogConfigException(String setting, String message, Throwable cause) {
    super("change log setting '" + setting + "': " + message, cause);
    this.setting = setting;
  }

  /**
   * Creates the exception.
   *
   * @param setting the setting at fault
   * @param message what is wrong with it
   */
  public ChangeLogConfigException(String setting, String message) {
    this(setting, message, null);
  }

  /**
   * Returns the name of the setting at fault.
   *
   * @return the setting, e.g. {@code "uri"}
   */
  public String setting() {
    return setting;
  }
}
