package io.pgtrickle.operator.postgres.spec;

import io.pgtrickle.operator.postgres.spec.PostgresqlCatalog.Parameter;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether PostgreSQL would take a value for a parameter from its configuration file, decided as its
 * {@code guc.c} does, and Patroni (4.1.5, the image's) would pass it on: on, off, true, false, yes,
 * no, 1, 0 for bool, any case (PostgreSQL's unique prefixes such as "t" Patroni drops); for enum
 * the catalog's spellings, which are already those Patroni passes, any case; {@code
 * parse_int}/{@code parse_real} for integer and real (C's strtol with base 0 then strtod, an
 * optional unit after optional spaces, the value rounded as PostgreSQL rounds it, then the range).
 * Strings are always taken. Check hooks (e.g. max_connections against other settings) are not
 * modelled.
 */
public final class PostgresqlValues {

  /** PostgreSQL's memory units, largest first ({@code memory_unit_conversion_table}). */
  private static final List<String> MEMORY_UNITS = List.of("TB", "GB", "MB", "kB", "B");

  /** PostgreSQL's time units, largest first ({@code time_unit_conversion_table}). */
  private static final List<String> TIME_UNITS = List.of("d", "h", "min", "s", "ms", "us");

  /**
   * The spellings of a bool both PostgreSQL and Patroni take. PostgreSQL also takes a unique prefix
   * (t, tr, of, y, ...), but Patroni's validator drops it from the configuration with a log line.
   */
  private static final java.util.Set<String> BOOL_WORDS =
      java.util.Set.of("on", "off", "true", "false", "yes", "no", "1", "0");

  private static final String MEMORY_HINT = "a memory unit (B, kB, MB, GB, TB)";
  private static final String TIME_HINT = "a time unit (us, ms, s, min, h, d)";

  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
  private static final Pattern HEX =
      Pattern.compile(
          "([+-]?)0[xX]((?:[0-9a-fA-F]+\\.?[0-9a-fA-F]*|\\.[0-9a-fA-F]+))([pP][+-]?[0-9]+)?");
  private static final Pattern SPECIAL =
      Pattern.compile("[+-]?(?:infinity|inf|nan)", Pattern.CASE_INSENSITIVE);

  private PostgresqlValues() {}

  /**
   * What is wrong with a value, or empty when PostgreSQL takes it.
   *
   * @return a phrase such as {@code "lots" is not an integer; allowed: 1 to 262143}
   */
  public static Optional<String> problem(Parameter parameter, String value) {
    String v = value == null ? "" : value;
    String quoted = "\"" + v + "\"";
    switch (parameter.vartype()) {
      case "bool":
        if (BOOL_WORDS.contains(v.toLowerCase(Locale.ROOT))) {
          return Optional.empty();
        }
        return Optional.of(
            quoted
                + (parseBool(v)
                    ? " is a prefix PostgreSQL would take but Patroni drops"
                    : " is not a boolean")
                + "; allowed: on, off, true, false, yes, no, 1, 0 (any case)");
      case "enum":
        return enumAccepts(parameter, v)
            ? Optional.empty()
            : Optional.of(quoted + " is not one of " + listed(parameter.enumValues()));
      case "integer":
      case "real":
        return number(parameter, v, quoted);
      default:
        return Optional.empty();
    }
  }

  /** PostgreSQL's {@code parse_bool_with_len}: a prefix of a word, "o" alone being ambiguous. */
  static boolean parseBool(String v) {
    if (v.isEmpty()) {
      return false;
    }
    String lower = v.toLowerCase(Locale.ROOT);
    switch (lower.charAt(0)) {
      case 't':
        return "true".startsWith(lower);
      case 'f':
        return "false".startsWith(lower);
      case 'y':
        return "yes".startsWith(lower);
      case 'n':
        return "no".startsWith(lower);
      case 'o':
        return lower.length() >= 2 && ("on".startsWith(lower) || "off".startsWith(lower));
      case '1':
      case '0':
        return lower.length() == 1;
      default:
        return false;
    }
  }

  private static boolean enumAccepts(Parameter parameter, String v) {
    return parameter.enumValues().stream().anyMatch(e -> e.equalsIgnoreCase(v))
        || parameter.hiddenEnumValues().stream().anyMatch(e -> e.equalsIgnoreCase(v));
  }

  private static String listed(List<String> values) {
    return String.join(", ", values.stream().map(e -> e.isEmpty() ? "\"\"" : e).toList());
  }

  private static Optional<String> number(Parameter parameter, String v, String quoted) {
    boolean integer = "integer".equals(parameter.vartype());
    String unit = parameter.unit();
    String allowed =
        "; allowed: "
            + (integer ? "an integer" : "a number")
            + (unit.isEmpty() ? "" : " with " + (isTime(unit) ? TIME_HINT : MEMORY_HINT))
            + " from "
            + parameter.min()
            + " to "
            + parameter.max()
            + (unit.isEmpty() ? "" : " (unit " + unit + ")");
    Parsed parsed = integer ? strtol(v) : strtod(v);
    if (integer
        && (parsed.overflow()
            || parsed.end() < v.length() && ".eE".indexOf(v.charAt(parsed.end())) >= 0)) {
      parsed = strtod(v);
    }
    if (parsed.end() == 0 || parsed.overflow() || Double.isNaN(parsed.value())) {
      return Optional.of(quoted + " is not " + (integer ? "an integer" : "a number") + allowed);
    }
    int i = parsed.end();
    while (i < v.length() && isSpace(v.charAt(i))) {
      i++;
    }
    double base = parsed.value();
    if (i < v.length()) {
      Double converted = unit.isEmpty() ? null : toBaseUnit(base, v.substring(i), unit);
      if (converted == null) {
        return Optional.of(
            quoted
                + (unit.isEmpty()
                    ? " is not " + (integer ? "an integer" : "a number") + " (no unit allowed)"
                    : " has no valid unit")
                + allowed);
      }
      base = converted;
    }
    String inUnit = unit.isEmpty() ? "" : " in units of " + unit;
    if (integer) {
      base = Math.rint(base);
      if (base > Integer.MAX_VALUE || base < Integer.MIN_VALUE) {
        return Optional.of(quoted + " exceeds the integer range" + allowed);
      }
      long n = (long) base;
      if (n < Long.parseLong(parameter.min()) || n > Long.parseLong(parameter.max())) {
        return Optional.of(quoted + " is " + n + inUnit + ", outside the range" + allowed);
      }
      return Optional.empty();
    }
    if (base < realBound(parameter.min()) || base > realBound(parameter.max())) {
      return Optional.of(quoted + " is " + base + inUnit + ", outside the range" + allowed);
    }
    return Optional.empty();
  }

  /** pg_settings prints real bounds with %g: "1.79769e+308" stands for DBL_MAX. */
  private static double realBound(String bound) {
    double d = Double.parseDouble(bound);
    if (d >= 1.79769e308) {
      return Double.MAX_VALUE;
    }
    return d <= -1.79769e308 ? -Double.MAX_VALUE : d;
  }

  private static boolean isTime(String unit) {
    return TIME_UNITS.contains(unit);
  }

  /**
   * PostgreSQL's {@code convert_to_base_unit}: at most 3 characters of unit (case-sensitive),
   * optional spaces after it; a fraction is rounded to a multiple of the next smaller unit. Null
   * when the unit is not one of the parameter's kind.
   */
  static Double toBaseUnit(double value, String rest, String baseUnit) {
    int end = 0;
    while (end < rest.length() && end < 3 && !isSpace(rest.charAt(end))) {
      end++;
    }
    String given = rest.substring(0, end);
    for (int i = end; i < rest.length(); i++) {
      if (!isSpace(rest.charAt(i))) {
        return null;
      }
    }
    List<String> units = isTime(baseUnit) ? TIME_UNITS : MEMORY_UNITS;
    int index = units.indexOf(given);
    if (index < 0) {
      return null;
    }
    double cvalue = value * multiplier(given, baseUnit);
    if (index + 1 < units.size()) {
      double next = multiplier(units.get(index + 1), baseUnit);
      cvalue = Math.rint(cvalue / next) * next;
    }
    return cvalue;
  }

  /** How many base units one {@code unit} is, computed as PostgreSQL's tables compute it. */
  private static double multiplier(String unit, String baseUnit) {
    if (isTime(baseUnit)) {
      double ms =
          switch (unit) {
            case "d" -> 1000 * 60 * 60 * 24;
            case "h" -> 1000 * 60 * 60;
            case "min" -> 1000 * 60;
            case "s" -> 1000;
            case "ms" -> 1;
            default -> 1.0 / 1000;
          };
      return switch (baseUnit) {
        case "ms" -> ms;
        case "s" -> unit.equals("us") ? 1.0 / (1000 * 1000) : ms / 1000;
        default -> unit.equals("us") ? 1.0 / (1000 * 1000 * 60) : ms / (1000 * 60);
      };
    }
    return switch (baseUnit) {
      case "B" -> memoryBytes(unit);
      case "kB" -> unit.equals("B") ? 1.0 / 1024 : memoryBytes(unit) / 1024;
      case "MB" -> unit.equals("B") ? 1.0 / (1024.0 * 1024.0) : memoryBytes(unit) / (1024 * 1024);
      default -> {
        // Blocks, shown as 8kB: PostgreSQL divides by the block size in kB (in bytes for B).
        int blockKb = Integer.parseInt(baseUnit.substring(0, baseUnit.length() - 2));
        yield unit.equals("B")
            ? 1.0 / (blockKb * 1024)
            : unit.equals("kB") ? 1.0 / blockKb : memoryBytes(unit) / 1024 / blockKb;
      }
    };
  }

  private static double memoryBytes(String unit) {
    return switch (unit) {
      case "TB" -> 1024.0 * 1024.0 * 1024.0 * 1024.0;
      case "GB" -> 1024.0 * 1024.0 * 1024.0;
      case "MB" -> 1024.0 * 1024.0;
      case "kB" -> 1024.0;
      default -> 1.0;
    };
  }

  /** A number read from the start of a string: its value, where it stopped, ERANGE. */
  record Parsed(double value, int end, boolean overflow) {}

  /**
   * C's {@code strtol(s, &end, 0)}: spaces, sign, 0x hex, 0 octal, else decimal; end 0 when there
   * is no number (C's endptr is then the start of the string).
   */
  static Parsed strtol(String s) {
    int i = skipSpaces(s, 0);
    boolean negative = false;
    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    int radix = 10;
    if (i + 2 < s.length()
        && s.charAt(i) == '0'
        && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')
        && Character.digit(s.charAt(i + 2), 16) >= 0) {
      radix = 16;
      i += 2;
    } else if (i < s.length() && s.charAt(i) == '0') {
      radix = 8;
    }
    int start = i;
    while (i < s.length() && isAsciiDigit(s.charAt(i), radix)) {
      i++;
    }
    if (i == start) {
      return new Parsed(0, 0, false);
    }
    BigInteger n = new BigInteger(s.substring(start, i), radix);
    if (negative) {
      n = n.negate();
    }
    return new Parsed(n.doubleValue(), i, n.bitLength() > 63);
  }

  /** C's {@code strtod}: spaces, then decimal, hex, inf or nan; end 0 when there is none. */
  static Parsed strtod(String s) {
    int i = skipSpaces(s, 0);
    String rest = s.substring(i);
    Matcher hex = HEX.matcher(rest);
    if (hex.lookingAt()) {
      String exponent = hex.group(3) == null ? "p0" : hex.group(3);
      double d = Double.parseDouble(hex.group(1) + "0x" + hex.group(2) + exponent);
      return ranged(d, hex.group(2), i + hex.end());
    }
    Matcher special = SPECIAL.matcher(rest);
    if (special.lookingAt()) {
      String word = special.group().toLowerCase(Locale.ROOT);
      double d = word.contains("nan") ? Double.NaN : Double.POSITIVE_INFINITY;
      return new Parsed(word.startsWith("-") ? -d : d, i + special.end(), false);
    }
    Matcher decimal = DECIMAL.matcher(rest);
    if (decimal.lookingAt()) {
      String literal = decimal.group();
      String mantissa = literal.replaceAll("[eE].*$", "");
      return ranged(Double.parseDouble(literal), mantissa, i + decimal.end());
    }
    return new Parsed(0, 0, false);
  }

  /** ERANGE as glibc sets it: overflow to infinity, or a non-zero literal below DBL_MIN. */
  private static Parsed ranged(double d, String mantissa, int end) {
    boolean nonZero = mantissa.chars().anyMatch(c -> c != '0' && Character.digit(c, 16) > 0);
    return new Parsed(d, end, Double.isInfinite(d) || nonZero && Math.abs(d) < Double.MIN_NORMAL);
  }

  private static boolean isAsciiDigit(char c, int radix) {
    return c < 128 && Character.digit(c, radix) >= 0;
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && isSpace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /** C's isspace in the C locale. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
  }
}
