package io.pgtrickle.program.config;

/**
 * One setting of a program, spelled two ways: the flag {@code --flag} and the environment variable
 * {@code PGTRICKLE_NAME}. A program lists its settings as an enum implementing this interface; the
 * constant's name gives the variable ({@code HTTP_PORT} is {@code PGTRICKLE_HTTP_PORT}).
 */
public interface Setting {

  /**
   * The enum constant's name, e.g. {@code HTTP_PORT} (implemented by {@link Enum#name()}).
   *
   * @return the name
   */
  String name();

  /**
   * The flag's name without the dashes, e.g. {@code http-port}.
   *
   * @return the flag name
   */
  String flag();

  /**
   * The value when neither the flag nor the variable gives one.
   *
   * @return the default; {@code null} when the setting is required, {@code ""} for none
   */
  String defaultValue();

  /**
   * The environment variable.
   *
   * @return {@code PGTRICKLE_} followed by {@link #name()}
   */
  default String env() {
    return "PGTRICKLE_" + name();
  }

  /**
   * Both spellings, as every error message about the setting starts.
   *
   * @return e.g. {@code PGTRICKLE_HTTP_PORT (--http-port)}
   */
  default String label() {
    return env() + " (--" + flag() + ")";
  }

  /**
   * The last column of the usage table.
   *
   * @return {@code (required)}, {@code default: none} or {@code default: VALUE}
   */
  default String usageDefault() {
    String d = defaultValue();
    return d == null ? "(required)" : "default: " + (d.isEmpty() ? "none" : d);
  }
}
