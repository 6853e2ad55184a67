package io.pgtrickle.program.config;

import java.util.Locale;

/**
 * One setting of a program, spelled two ways from one name: a program lists its settings as an enum
 * implementing this interface, and the constant {@code HTTP_PORT} is the flag {@code --http-port}
 * and the environment variable {@code PGTRICKLE_HTTP_PORT}.
 */
public interface Setting {

  /**
   * The enum constant's name, e.g. {@code HTTP_PORT} (implemented by {@link Enum#name()}).
   *
   * @return the name
   */
  String name();

  /**
   * The flag's name without the leading dashes: the name in lower case, {@code _} as {@code -}.
   *
   * @return e.g. {@code http-port} for {@code HTTP_PORT}
   */
  default String flag() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

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
