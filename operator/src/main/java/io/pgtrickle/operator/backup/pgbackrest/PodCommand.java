package io.pgtrickle.operator.backup.pgbackrest;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a command in a pod's PostgreSQL container through the Kubernetes exec API (pods/exec), as
 * {@code kubectl exec POD -c postgres -- CMD} does, and collects its exit code and output.
 */
public final class PodCommand {

  /** What a command left: its exit code, standard output and standard error. */
  public record Result(int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** The last lines of standard error (or output), for status messages. */
    public String tail() {
      String text = stderr.isBlank() ? stdout : stderr;
      String[] lines = text.strip().split("\n");
      StringBuilder tail = new StringBuilder();
      for (int i = Math.max(0, lines.length - 3); i < lines.length; i++) {
        tail.append(tail.length() == 0 ? "" : " | ").append(lines[i].strip());
      }
      return tail.length() > 600 ? tail.substring(tail.length() - 600) : tail.toString();
    }
  }

  /** The duration above which an exec is logged as slow. */
  static final Duration SLOW = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(PodCommand.class);

  private PodCommand() {}

  /**
   * Runs {@code command} in {@code container} of the pod; the exit code is -1 when the exec did not
   * report one. A command that takes longer than {@link #SLOW} is logged as a warning with its
   * duration (the reconcile thread waits for it).
   *
   * @throws TimeoutException when it has not ended within {@code timeout} (the exec is closed); its
   *     message names the command, the pod and the bound
   */
  public static Result run(
      KubernetesClient client,
      String namespace,
      String pod,
      String container,
      Duration timeout,
      String... command)
      throws TimeoutException, InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long start = System.nanoTime();
    String what = String.join(" ", command);
    try (ExecWatch watch =
        client
            .pods()
            .inNamespace(namespace)
            .withName(pod)
            .inContainer(container)
            .writingOutput(out)
            .writingError(err)
            .exec(command)) {
      Integer code = watch.exitCode().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new Result(
          code == null ? -1 : code,
          out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    } catch (ExecutionException e) {
      return new Result(-1, out.toString(StandardCharsets.UTF_8), String.valueOf(e.getCause()));
    } catch (TimeoutException e) {
      TimeoutException named =
          new TimeoutException(
              "\""
                  + brief(what)
                  + "\" in pod "
                  + pod
                  + " did not end within "
                  + timeout.toSeconds()
                  + " s");
      named.initCause(e);
      throw named;
    } finally {
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      if (took.compareTo(SLOW) > 0) {
        LOG.warn("exec in pod {}/{} took {} ms: {}", namespace, pod, took.toMillis(), brief(what));
      }
    }
  }

  /** The command's last 120 characters (the start is a long shell prelude, never a secret). */
  private static String brief(String command) {
    return command.length() <= 120 ? command : "..." + command.substring(command.length() - 120);
  }
}
