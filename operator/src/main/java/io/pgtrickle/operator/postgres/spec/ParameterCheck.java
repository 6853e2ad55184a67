package io.pgtrickle.operator.postgres.spec;

import io.pgtrickle.operator.postgres.spec.PostgresqlCatalog.Parameter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * Checks {@code spec.postgresqlParams} against the parameters of the cluster's PostgreSQL major
 * ({@link PostgresqlCatalog}), because Patroni drops an unknown name or a bad value with only a log
 * line. Names compare case-insensitively, as PostgreSQL compares them; a name with a dot is an
 * extension's (pg_stat_statements.max, pg_trickle.*, auto_explain.*) and is taken as PostgreSQL
 * takes it, whatever its value.
 */
public final class ParameterCheck {

  /** Reason of a name the major does not know (or that is not a valid name). */
  public static final String UNKNOWN = "ParameterUnknown";

  /** Reason of a value PostgreSQL would refuse, or a parameter that cannot be set at all. */
  public static final String INVALID = "ParameterInvalid";

  /**
   * Reason of a parameter PostgreSQL knows but Patroni drops whatever its value (as for the names
   * the operator owns, which the caller reports).
   */
  public static final String NOT_ALLOWED = "ParameterNotAllowed";

  /** How far (Levenshtein) a known name may be from an unknown one to be suggested. */
  static final int SUGGESTION_DISTANCE = 2;

  private static final String FIELD = "spec.postgresqlParams";

  /**
   * One problem with one parameter.
   *
   * @param reason {@link #UNKNOWN}, {@link #INVALID} or {@link #NOT_ALLOWED}
   * @param name the parameter as the spec spells it
   * @param message a sentence naming the field, the parameter and what is allowed
   */
  public record Finding(String reason, String name, String message) {}

  private ParameterCheck() {}

  /**
   * Every problem of the parameters, sorted by name; empty when PostgreSQL would take them all.
   * Names in {@link PostgresqlParameters#OWNED} are left to the caller.
   *
   * @param major the cluster's PostgreSQL major, 14 to 18
   * @param params {@code spec.postgresqlParams}, may be null
   */
  public static List<Finding> check(int major, Map<String, String> params) {
    if (params == null || params.isEmpty()) {
      return List.of();
    }
    PostgresqlCatalog catalog = PostgresqlCatalog.of(major);
    List<Finding> findings = new ArrayList<>();
    Map<String, List<String>> byLowerCase = new TreeMap<>();
    params.keySet().stream()
        .sorted()
        .forEach(
            n ->
                byLowerCase
                    .computeIfAbsent(n.toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(n));
    byLowerCase.forEach(
        (lower, spellings) -> {
          if (spellings.size() > 1) {
            findings.add(
                new Finding(
                    INVALID,
                    spellings.get(0),
                    FIELD
                        + ": "
                        + String.join(" and ", spellings)
                        + " name the same parameter (names are case-insensitive); keep one"));
          }
        });
    for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
      String name = e.getKey();
      if (PostgresqlParameters.OWNED.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      check(catalog, name, e.getValue()).ifPresent(findings::add);
    }
    findings.addAll(slotSyncPrerequisites(params));
    findings.sort(Comparator.comparing((Finding f) -> f.name().toLowerCase(Locale.ROOT)));
    return List.copyOf(findings);
  }

  private static Optional<Finding> check(PostgresqlCatalog catalog, String name, String value) {
    if (name.contains(".")) {
      if (!validCustomName(name)) {
        return Optional.of(
            new Finding(
                UNKNOWN,
                name,
                FIELD
                    + ": "
                    + name
                    + " is not a valid extension parameter name (PostgreSQL wants identifiers"
                    + " separated by dots, e.g. pg_stat_statements.max)"));
      }
      return Optional.empty();
    }
    Optional<Parameter> parameter = catalog.find(name);
    if (parameter.isEmpty()) {
      String suggestion =
          suggestion(catalog, name.toLowerCase(Locale.ROOT))
              .map(s -> "; did you mean " + s + "?")
              .orElse("");
      return Optional.of(
          new Finding(
              UNKNOWN,
              name,
              FIELD
                  + ": "
                  + name
                  + " is not a parameter of PostgreSQL "
                  + catalog.major()
                  + suggestion));
    }
    if (parameter.get().readOnly()) {
      return Optional.of(
          new Finding(
              INVALID,
              name,
              FIELD
                  + "."
                  + name
                  + ": read-only, fixed when PostgreSQL is built or initialized; remove it"));
    }
    if (parameter.get().patroniDrops()) {
      return Optional.of(
          new Finding(
              NOT_ALLOWED,
              name,
              FIELD
                  + "."
                  + name
                  + ": Patroni drops this parameter of PostgreSQL "
                  + catalog.major()
                  + " from the configuration it writes; it cannot be set"));
    }
    return PostgresqlValues.problem(patroniLimits(parameter.get()), value)
        .map(p -> new Finding(INVALID, name, FIELD + "." + name + ": " + p));
  }

  /**
   * Patroni's own lower bounds on the parameters it passes to PostgreSQL on the command line
   * ({@code CMDLINE_OPTIONS} in Patroni 4.1.5's {@code postgresql/config.py}): a value outside them
   * is replaced by Patroni's default with only a log line ("failed validation, defaulting to"), so
   * {@code max_connections: 2} ran with 100 and {@code wal_level: minimal} with replica while the
   * cluster reported itself ready.
   */
  private static final Map<String, String> PATRONI_MINIMUMS =
      Map.of(
          "max_connections", "25",
          "max_wal_senders", "3",
          "max_locks_per_transaction", "32",
          "max_replication_slots", "4",
          "max_worker_processes", "2",
          "wal_keep_size", "16");

  /** {@code parameter} with Patroni's bounds ({@link #PATRONI_MINIMUMS}, wal_level's values). */
  static Parameter patroniLimits(Parameter parameter) {
    String name = parameter.name().toLowerCase(Locale.ROOT);
    String min = PATRONI_MINIMUMS.get(name);
    if (min != null && Long.parseLong(min) > Long.parseLong(parameter.min())) {
      return new Parameter(
          parameter.name(),
          parameter.context(),
          parameter.vartype(),
          parameter.unit(),
          min,
          parameter.max(),
          parameter.enumValues(),
          parameter.hiddenEnumValues(),
          parameter.patroniDrops());
    }
    if ("wal_level".equals(name)) {
      return new Parameter(
          parameter.name(),
          parameter.context(),
          parameter.vartype(),
          parameter.unit(),
          parameter.min(),
          parameter.max(),
          parameter.enumValues().stream().filter(v -> !"minimal".equalsIgnoreCase(v)).toList(),
          parameter.hiddenEnumValues(),
          parameter.patroniDrops());
    }
    return parameter;
  }

  /**
   * {@code sync_replication_slots} on with {@code hot_standby_feedback} off, or with a {@code
   * wal_level} below logical: PostgreSQL (17+) then never starts the slot sync worker, only logging
   * what it needs (about the wal_level, some 17 minors shut down instead, and later majors refuse
   * to start), so the failover slots the setting is for are never synchronized. Across two
   * parameters, so not caught by the checks of one value.
   */
  static List<Finding> slotSyncPrerequisites(Map<String, String> params) {
    String sync = null;
    Map.Entry<String, String> feedback = null;
    Map.Entry<String, String> walLevel = null;
    for (Map.Entry<String, String> e : params.entrySet()) {
      String lower = e.getKey().toLowerCase(Locale.ROOT);
      if (lower.equals(PostgresqlParameters.SYNC_REPLICATION_SLOTS)) {
        sync = e.getValue();
      } else if (lower.equals("hot_standby_feedback")) {
        feedback = e;
      } else if (lower.equals("wal_level")) {
        walLevel = e;
      }
    }
    if (!boolValue(sync).orElse(false)) {
      return List.of();
    }
    List<Finding> findings = new ArrayList<>();
    if (feedback != null && !boolValue(feedback.getValue()).orElse(true)) {
      findings.add(
          slotSyncFinding(
              feedback,
              "PostgreSQL synchronizes no slot without hot_standby_feedback; remove it (the"
                  + " operator's default is on)"));
    }
    if (walLevel != null && !walLevel.getValue().equalsIgnoreCase("logical")) {
      findings.add(
          slotSyncFinding(
              walLevel,
              "PostgreSQL synchronizes no slot below wal_level logical (some versions shut down"
                  + " or refuse to start over it); remove it (the operator's default is"
                  + " logical)"));
    }
    return findings;
  }

  private static Finding slotSyncFinding(Map.Entry<String, String> parameter, String why) {
    return new Finding(
        INVALID,
        parameter.getKey(),
        FIELD
            + "."
            + parameter.getKey()
            + ": \""
            + parameter.getValue()
            + "\" with sync_replication_slots on: "
            + why
            + " or turn sync_replication_slots off");
  }

  /** A bool in one of the spellings both PostgreSQL and Patroni take; empty for anything else. */
  public static Optional<Boolean> boolValue(String value) {
    if (value == null) {
      return Optional.empty();
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "on", "true", "yes", "1" -> Optional.of(true);
      case "off", "false", "no", "0" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  /** The closest known name within {@link #SUGGESTION_DISTANCE} edits (ties: alphabetical). */
  static Optional<String> suggestion(PostgresqlCatalog catalog, String name) {
    String best = null;
    int bestDistance = SUGGESTION_DISTANCE + 1;
    for (String known : catalog.names().stream().sorted().toList()) {
      int d = distance(name, known, bestDistance);
      if (d < bestDistance) {
        best = known;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /** Levenshtein distance, or {@code limit} when it is at least that. */
  static int distance(String a, String b, int limit) {
    int d = new LevenshteinDistance(limit - 1).apply(a, b);
    return d < 0 ? limit : d;
  }

  /**
   * PostgreSQL's {@code valid_custom_variable_name} (15, and 14 since a minor release: 14.23
   * refuses "a..b" too): identifiers (letters, digits after the first character, _ and $) separated
   * by single dots, at least one dot.
   */
  static boolean validCustomName(String name) {
    boolean sawDot = false;
    boolean partStart = true;
    for (char c : name.toCharArray()) {
      if (c == '.') {
        if (partStart) {
          return false;
        }
        sawDot = true;
        partStart = true;
      } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c > 127) {
        partStart = false;
      } else if (!partStart && ((c >= '0' && c <= '9') || c == '$')) {
        continue;
      } else {
        return false;
      }
    }
    return sawDot && !partStart;
  }
}
