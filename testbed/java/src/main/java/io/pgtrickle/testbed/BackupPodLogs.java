package io.pgtrickle.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the test bed keeps what the pods of the operator's backup Jobs wrote ({@link
 * BackupJobPods}: standard output and error of the container's program, appended), for tests that
 * fail to say what a backup did.
 */
public final class BackupPodLogs {

  private BackupPodLogs() {}

  /** The directory of a namespace's pods run by {@link PatroniPods}, one directory a pod. */
  static Path podsDirectory(TestBed testBed, String namespace) {
    return testBed.repositoryRootPath().resolve("target/testbed/pods").resolve(namespace);
  }

  /** The log of backup pod {@code pod} under {@code podsDirectory}. */
  static Path log(Path podsDirectory, String pod) {
    return podsDirectory.resolve(pod).resolve("job.log");
  }

  /**
   * The last {@code lines} lines of backup pod {@code pod}'s log, or a sentence saying there is
   * none (the pod never started its program here).
   */
  public static String tail(TestBed testBed, String namespace, String pod, int lines) {
    Path log = log(podsDirectory(testBed, namespace), pod);
    try {
      if (!Files.isRegularFile(log)) {
        return "(no log at " + log + ")";
      }
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log " + log + " unreadable: " + e + ")";
    }
  }
}
