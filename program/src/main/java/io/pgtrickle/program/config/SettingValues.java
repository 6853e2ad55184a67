package io.pgtrickle.program.config;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * A program's settings as given: flags ({@code --name=value} or {@code --name value}) over
 * environment variables over defaults. Every problem becomes the program's own exception (made by
 * the {@code error} function it passes, so that its {@code Main} exits 2 on it) with a message that
 * names the setting both ways, e.g. {@code PGTRICKLE_HTTP_PORT (--http-port) is required}.
 *
 * @param <S> the program's enum of settings
 */
public final class SettingValues<S extends Enum<S> & Setting> {

  private final Map<String, String> env;
  private final Function<String, ? extends RuntimeException> error;
  private final Map<S, String> flags;

  private SettingValues(
      Class<S> settings,
      Map<String, String> env,
      Function<String, ? extends RuntimeException> error) {
    this.env = env;
    this.error = error;
    this.flags = new EnumMap<>(settings);
  }

  /**
   * Reads the flags; an unknown one is refused with the usage table.
   *
   * @param <S> the program's enum of settings
   * @param settings the enum's class
   * @param env the environment ({@link System#getenv()}), read when a value is asked for
   * @param args the flags, without the subcommand
   * @param error makes the program's exception from a message
   * @return the values
   * @throws RuntimeException from {@code error} at the first argument that is not a flag, a flag
   *     without a value ({@code flag --x needs a value}) or an unknown flag ({@code unknown flag
   *     --x; settings:} and the usage table)
   */
  public static <S extends Enum<S> & Setting> SettingValues<S> read(
      Class<S> settings,
      Map<String, String> env,
      List<String> args,
      Function<String, ? extends RuntimeException> error) {
    return read(
        settings,
        env,
        args,
        error,
        flag -> error.apply("unknown flag --" + flag + "; settings:\n" + usage(settings)));
  }

  /**
   * Reads the flags, refusing an unknown one with the program's own words.
   *
   * @param <S> the program's enum of settings
   * @param settings the enum's class
   * @param env the environment ({@link System#getenv()}), read when a value is asked for
   * @param args the flags, without the subcommand
   * @param error makes the program's exception from a message
   * @param unknownFlag makes the exception for an unknown flag, from its name without the dashes
   * @return the values
   * @throws RuntimeException at the first bad argument, see {@link #read(Class, Map, List,
   *     Function)}
   */
  public static <S extends Enum<S> & Setting> SettingValues<S> read(
      Class<S> settings,
      Map<String, String> env,
      List<String> args,
      Function<String, ? extends RuntimeException> error,
      Function<String, ? extends RuntimeException> unknownFlag) {
    SettingValues<S> values = new SettingValues<>(settings, env, error);
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw error.apply("unexpected argument '" + arg + "' (flags are --name=value)");
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw error.apply("flag --" + name + " needs a value");
      }
      values.flags.put(byFlag(settings, name, unknownFlag), value);
    }
    return values;
  }

  private static <S extends Enum<S> & Setting> S byFlag(
      Class<S> settings, String flag, Function<String, ? extends RuntimeException> unknownFlag) {
    for (S s : EnumSet.allOf(settings)) {
      if (s.flag().equals(flag)) {
        return s;
      }
    }
    throw unknownFlag.apply(flag);
  }

  /**
   * The value: the flag's, else the variable's, else the default; trimmed. A blank value counts as
   * given (it is "") unless the setting is required.
   *
   * @param s the setting
   * @return the value, never null
   * @throws RuntimeException from {@code error}: {@code LABEL is required}
   */
  public String get(S s) {
    String v = flags.containsKey(s) ? flags.get(s) : env.get(s.env());
    if (v == null || (v.isBlank() && s.defaultValue() == null)) {
      if (s.defaultValue() == null) {
        throw error.apply(s.label() + " is required");
      }
      return s.defaultValue();
    }
    return v.trim();
  }

  /**
   * A whole number within bounds.
   *
   * @param s the setting
   * @param min the smallest value allowed
   * @param max the largest value allowed
   * @return the number
   * @throws RuntimeException from {@code error}: {@code LABEL must be a whole number, got 'v'} or
   *     {@code LABEL must be between MIN and MAX, got N}
   */
  public long number(S s, long min, long max) {
    String v = get(s);
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw error.apply(s.label() + " must be a whole number, got '" + v + "'");
    }
    if (n < min || n > max) {
      throw error.apply(s.label() + " must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  /**
   * A switch: true, yes, 1 or on; false, no, 0 or off (any case).
   *
   * @param s the setting
   * @return the switch
   * @throws RuntimeException from {@code error}: {@code LABEL must be true or false, got 'v'}
   */
  public boolean bool(S s) {
    String v = get(s).toLowerCase(Locale.ROOT);
    return switch (v) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw error.apply(s.label() + " must be true or false, got '" + v + "'");
    };
  }

  /**
   * Variables named like a setting ({@code PGTRICKLE_...}) that are none of the program's: a typo
   * such as {@code PGTRICKLE_FAILOVER_SLOTS} would otherwise leave the default in force without a
   * word. Not refused, since one environment may serve several programs (each reads its own
   * settings). Kubernetes service links of a Service whose name starts with {@code pgtrickle} are
   * not settings and are skipped: {@code X_SERVICE_HOST}, {@code X_SERVICE_PORT...}, {@code
   * X_PORT...}, wherever {@code X_SERVICE_HOST} is set.
   *
   * @param <S> the program's enum of settings
   * @param settings the enum's class
   * @param env the environment
   * @param program the program's name, for the message
   * @return one message per such variable, in name order: it names the variable, says it is ignored
   *     and suggests the closest setting when one is within 3 edits
   */
  public static <S extends Enum<S> & Setting> List<String> unknownVariables(
      Class<S> settings, Map<String, String> env, String program) {
    Set<String> known = new TreeSet<>();
    EnumSet.allOf(settings).forEach(s -> known.add(s.env()));
    known.add(LogLevel.VARIABLE);
    List<String> messages = new ArrayList<>();
    new TreeSet<>(env.keySet())
        .stream()
            .filter(name -> name.startsWith(PREFIX) && !known.contains(name))
            .filter(name -> !serviceLink(name, env))
            .forEach(
                name ->
                    messages.add(
                        name
                            + " is not a setting of "
                            + program
                            + ", so it is ignored"
                            + closest(name, known)
                                .map(k -> "; did you mean " + k + "?")
                                .orElse("")));
    return messages;
  }

  private static final String PREFIX = "PGTRICKLE_";

  /** How many edits (Levenshtein) a setting may be from an unknown name to be suggested. */
  private static final int SUGGESTION_DISTANCE = 3;

  private static Optional<String> closest(String name, Set<String> known) {
    LevenshteinDistance distance = new LevenshteinDistance(SUGGESTION_DISTANCE);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance.apply(name, k);
      if (d >= 0 && d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * A variable Kubernetes sets for a Service (enableServiceLinks), by its {@code _SERVICE_HOST}.
   */
  private static boolean serviceLink(String name, Map<String, String> env) {
    for (String marker : List.of("_SERVICE_HOST", "_SERVICE_PORT", "_PORT")) {
      int at = name.lastIndexOf(marker);
      while (at > 0) {
        if (env.containsKey(name.substring(0, at) + "_SERVICE_HOST")) {
          return true;
        }
        at = name.lastIndexOf(marker, at - 1);
      }
    }
    return false;
  }

  /**
   * The usage table for {@code help}: one line per setting, in the enum's order, with the flag, the
   * variable and {@link Setting#usageDefault()}; each of the first two columns is two characters
   * wider than its longest entry.
   *
   * @param <S> the program's enum of settings
   * @param settings the enum's class
   * @return the lines, each ending in a line separator
   */
  public static <S extends Enum<S> & Setting> String usage(Class<S> settings) {
    int flagWidth = 0;
    int envWidth = 0;
    for (S s : EnumSet.allOf(settings)) {
      flagWidth = Math.max(flagWidth, s.flag().length() + 2);
      envWidth = Math.max(envWidth, s.env().length() + 2);
    }
    String format = "  --%-" + flagWidth + "s %-" + envWidth + "s %s%n";
    StringBuilder sb = new StringBuilder();
    for (S s : EnumSet.allOf(settings)) {
      sb.append(String.format(Locale.ROOT, format, s.flag(), s.env(), s.usageDefault()));
    }
    return sb.toString();
  }
}
