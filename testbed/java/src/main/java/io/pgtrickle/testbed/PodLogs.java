package io.pgtrickle.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the test bed keeps what the containers of the pods it plays wrote, one directory a pod
 * under the namespace's pods directory ({@link PatroniPods}), one file a container, appended over
 * every incarnation of the pod:
 *
 * <ul>
 *   <li>{@code patroni.log}: the PostgreSQL container of a member (Patroni, and PostgreSQL's own
 *       log, which goes to standard error);
 *   <li>{@code CONTAINER.log}: each sidecar of a member ({@code pgbouncer.log}, {@code
 *       pgbackrest.log}, {@code exporter.log}; {@link PodExtras});
 *   <li>{@code job.log}: the container of a backup Job's pod ({@link BackupJobPods}).
 * </ul>
 *
 * For tests that fail to say what a pod did ({@link PodDiagnostics}).
 */
public final class PodLogs {

  private PodLogs() {}

  /** The directory of a namespace's pods run by {@link PatroniPods}, one directory a pod. */
  static Path podsDirectory(TestBed testBed, String namespace) {
    return testBed.repositoryRootPath().resolve("target/testbed/pods").resolve(namespace);
  }

  /** The log of backup pod {@code pod} under {@code podsDirectory}. */
  static Path jobLog(Path podsDirectory, String pod) {
    return podsDirectory.resolve(pod).resolve("job.log");
  }

  /**
   * The last {@code lines} lines of backup pod {@code pod}'s log, or a sentence saying there is
   * none (the pod never started its program here).
   */
  public static String tail(TestBed testBed, String namespace, String pod, int lines) {
    Path log = jobLog(podsDirectory(testBed, namespace), pod);
    if (!Files.isRegularFile(log)) {
      return "(no log at " + log + ")";
    }
    return tail(log, lines);
  }

  /**
   * Every log the test bed keeps for {@code pod}, by file name ({@code patroni.log}, {@code
   * pgbouncer.log}, ...; sorted), each cut to its last {@code lines} lines; empty when the pod has
   * none (not played here, or never started).
   */
  public static Map<String, String> tails(
      TestBed testBed, String namespace, String pod, int lines) {
    Path dir = podsDirectory(testBed, namespace).resolve(pod);
    Map<String, String> tails = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) {
      return tails;
    }
    try (Stream<Path> files = Files.list(dir)) {
      files
          .filter(f -> f.getFileName().toString().endsWith(".log") && Files.isRegularFile(f))
          .sorted()
          .forEach(f -> tails.put(f.getFileName().toString(), tail(f, lines)));
    } catch (IOException e) {
      tails.put("(logs)", "unreadable: " + e);
    }
    return tails;
  }

  /**
   * The last {@code lines} lines of {@code log}, or a sentence saying why there are none; without
   * Patroni's heartbeat lines ("no action. I am (POD), the leader with the lock", every 2 s), which
   * would otherwise fill a Patroni log's tail and hide PostgreSQL's own lines.
   */
  static String tail(Path log, int lines) {
    try {
      // Decoded with replacement: a log with a broken byte still shows.
      List<String> all =
          new String(Files.readAllBytes(log), StandardCharsets.UTF_8)
              .lines()
              .filter(line -> !line.contains(" INFO: no action. I am ("))
              .toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log " + log + " unreadable: " + e + ")";
    }
  }
}
