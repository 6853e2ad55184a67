package io.pgtrickle.operator.runtime;

import io.pgtrickle.operator.postgres.spec.PostgresImages;
import io.pgtrickle.operator.postgres.spec.SidecarImages;
import io.pgtrickle.operator.streams.spec.PipelineImages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The operator's settings, from environment variables, checked at start-up: a bad value stops the
 * operator with a message naming the variable and what it accepts. The image variables ({@link
 * #IMAGES}) are read where they are used and only checked here.
 *
 * @param watchNamespaces namespaces to reconcile; empty means every namespace
 * @param operatorNamespace where the operator runs (its Lease lives there)
 * @param leaderElection whether replicas elect a leader on a Lease before reconciling
 * @param leaseName the Lease's name
 * @param httpPort port of /healthz, /readyz and /metrics
 * @param logLevel level of the operator's own loggers
 * @param backupJobTtlSeconds {@code ttlSecondsAfterFinished} of the backup Jobs, seconds (0 or
 *     more)
 */
public record OperatorConfig(
    Set<String> watchNamespaces,
    String operatorNamespace,
    boolean leaderElection,
    String leaseName,
    int httpPort,
    String logLevel,
    long backupJobTtlSeconds) {

  public static final String WATCH_NAMESPACES = "WATCH_NAMESPACES";
  public static final String OPERATOR_NAMESPACE = "OPERATOR_NAMESPACE";
  public static final String LEADER_ELECTION = "LEADER_ELECTION";
  public static final String LEASE_NAME = "LEASE_NAME";
  public static final String HTTP_PORT = "HTTP_PORT";
  public static final String LOG_LEVEL = "LOG_LEVEL";
  public static final String BACKUP_JOB_TTL_SECONDS = "PG_TRICKLE_BACKUP_JOB_TTL_SECONDS";

  /** How long a finished backup Job stays (for its logs) by default, seconds. */
  public static final long DEFAULT_BACKUP_JOB_TTL_SECONDS = 600;

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final List<String> LEVELS =
      List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  /** The image variables, each with its default (what an unset variable means). */
  public static final Map<String, String> IMAGES =
      Map.of(
          PostgresImages.REPOSITORY_ENV, PostgresImages.DEFAULT_REPOSITORY,
          SidecarImages.PGBOUNCER_ENV, SidecarImages.DEFAULT_PGBOUNCER,
          SidecarImages.EXPORTER_ENV, SidecarImages.DEFAULT_EXPORTER,
          PipelineImages.CDC_ENV, PipelineImages.DEFAULT_CDC,
          PipelineImages.WORKER_ENV, PipelineImages.DEFAULT_WORKER);

  /** Reads and checks every setting; throws one error listing every bad one. */
  public static OperatorConfig fromEnvironment(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Set<String> namespaces = namespaces(env.getOrDefault(WATCH_NAMESPACES, ""), problems);
    String operatorNamespace = env.getOrDefault(OPERATOR_NAMESPACE, "").trim();
    if (!operatorNamespace.isEmpty() && !DNS_LABEL.matcher(operatorNamespace).matches()) {
      problems.add(OPERATOR_NAMESPACE + "=" + operatorNamespace + " is not a namespace name");
    }
    String election = env.getOrDefault(LEADER_ELECTION, "").trim().toLowerCase(Locale.ROOT);
    boolean leaderElection;
    switch (election) {
      case "true" -> leaderElection = true;
      case "false" -> leaderElection = false;
      // Default: elect a leader when running in a cluster, where a namespace for the Lease is
      // known.
      case "" -> leaderElection = !operatorNamespace.isEmpty();
      default -> {
        problems.add(LEADER_ELECTION + "=" + election + " must be true or false");
        leaderElection = false;
      }
    }
    if (leaderElection && operatorNamespace.isEmpty()) {
      problems.add(LEADER_ELECTION + "=true needs " + OPERATOR_NAMESPACE + " for the Lease");
    }
    String leaseName = env.getOrDefault(LEASE_NAME, "pg-trickle-operator").trim();
    if (!DNS_LABEL.matcher(leaseName).matches()) {
      problems.add(LEASE_NAME + "=" + leaseName + " is not a valid Lease name");
    }
    int port = 8080;
    String portText = env.getOrDefault(HTTP_PORT, "8080").trim();
    try {
      port = Integer.parseInt(portText);
      if (port < 1 || port > 65535) {
        problems.add(HTTP_PORT + "=" + portText + " must be between 1 and 65535");
      }
    } catch (NumberFormatException e) {
      problems.add(HTTP_PORT + "=" + portText + " must be a number between 1 and 65535");
    }
    String level = env.getOrDefault(LOG_LEVEL, "INFO").trim().toUpperCase(Locale.ROOT);
    if (!LEVELS.contains(level)) {
      problems.add(LOG_LEVEL + "=" + level + " must be one of " + LEVELS);
    }
    long jobTtl = DEFAULT_BACKUP_JOB_TTL_SECONDS;
    String jobTtlText =
        env.getOrDefault(BACKUP_JOB_TTL_SECONDS, String.valueOf(DEFAULT_BACKUP_JOB_TTL_SECONDS))
            .trim();
    try {
      // A Job's ttlSecondsAfterFinished is an int32 the API server refuses when negative.
      jobTtl = Integer.parseInt(jobTtlText);
      if (jobTtl < 0) {
        problems.add(BACKUP_JOB_TTL_SECONDS + "=" + jobTtlText + " must be 0 or more seconds");
      }
    } catch (NumberFormatException e) {
      problems.add(
          BACKUP_JOB_TTL_SECONDS + "=" + jobTtlText + " must be a number of seconds (0 or more)");
    }
    images(env, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid configuration: " + String.join("; ", problems));
    }
    return new OperatorConfig(
        namespaces, operatorNamespace, leaderElection, leaseName, port, level, jobTtl);
  }

  /**
   * An image variable that is set must be an image reference: not empty (pods with an empty image
   * are refused by the API server, long after start), without blanks; the PostgreSQL one a
   * repository without tag or digest, since the operator appends {@code :MAJOR}.
   */
  private static void images(Map<String, String> env, List<String> problems) {
    for (String name : IMAGES.keySet().stream().sorted().toList()) {
      String value = env.get(name);
      String example = IMAGES.get(name);
      if (value == null) {
        continue;
      }
      if (value.isBlank()) {
        problems.add(
            name + " is empty: give an image such as " + example + ", or leave it unset for that");
      } else if (value.chars().anyMatch(Character::isWhitespace)) {
        problems.add(name + "='" + value + "' has blanks: an image reference such as " + example);
      } else if (name.equals(PostgresImages.REPOSITORY_ENV)
          && value.substring(value.lastIndexOf('/') + 1).matches(".*[:@].*")) {
        problems.add(
            name
                + "="
                + value
                + " has a tag or digest: give the repository only, such as "
                + example
                + " (the operator appends :MAJOR)");
      }
    }
  }

  private static Set<String> namespaces(String text, List<String> problems) {
    List<String> names =
        Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String name : names) {
      if (!DNS_LABEL.matcher(name).matches()) {
        problems.add(
            WATCH_NAMESPACES
                + " entry "
                + name
                + " is not a namespace name (lowercase letters, digits, -)");
      }
    }
    return Set.copyOf(names);
  }
}
