package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One incarnation of a program pod's container: the program as the main process (PID 1) of a PID
 * and mount namespace of its own, like a container's entrypoint, under
 *
 * <pre>
 *   setpriv --pdeathsig KILL unshare --kill-child=SIGKILL --mount --pid --fork --mount-proc \
 *     [setpriv --reuid=UID --regid=GID --clear-groups --pdeathsig KILL] COMMAND...
 * </pre>
 *
 * so that it dies with the pod player however that ends ({@link Spawner}), everything it started
 * dies with it (the kernel empties a PID namespace whose init died), and {@code testbed.sh up} can
 * recognise a leftover by its namespace. It runs as the pod's {@code runAsUser} and {@code
 * runAsGroup} when set (the parent-death signal is set again after the change of user, which clears
 * it).
 */
final class ProgramProcess {

  private final Pod pod;
  private final Container container;
  private final String ip;
  private final Process unshare;
  private final Instant started = Instant.now();
  // Liveness probe state, kept by ProgramProbes (one thread).
  int livenessFailures;
  Instant nextLiveness;

  /** Being stopped (liveness failed, or deleted): no more probes. */
  volatile boolean stopping;

  private ProgramProcess(Pod pod, Container container, String ip, Process unshare) {
    this.pod = pod;
    this.container = container;
    this.ip = ip;
    this.unshare = unshare;
  }

  static ProgramProcess start(
      Pod pod,
      Container container,
      String ip,
      List<String> command,
      Map<String, String> env,
      Path log)
      throws IOException {
    List<String> line =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--pdeathsig",
                "KILL",
                "unshare",
                "--kill-child=SIGKILL",
                "--mount",
                "--pid",
                "--fork",
                "--mount-proc",
                "--propagation",
                "private"));
    Long uid = runAsUser(pod, container);
    if (uid != null) {
      Long gid = runAsGroup(pod, container);
      line.addAll(
          List.of(
              "setpriv",
              "--reuid=" + uid,
              "--regid=" + (gid == null ? uid : gid),
              "--clear-groups",
              "--pdeathsig",
              "KILL"));
    }
    line.addAll(command);
    ProcessBuilder builder =
        new ProcessBuilder(line)
            .directory(Path.of("/").toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().clear();
    builder.environment().putAll(env);
    log.getParent().toFile().mkdirs();
    return new ProgramProcess(pod, container, ip, Spawner.start(builder));
  }

  /** The container's user: its own securityContext's, else the pod's, else none (root). */
  static Long runAsUser(Pod pod, Container container) {
    if (container.getSecurityContext() != null
        && container.getSecurityContext().getRunAsUser() != null) {
      return container.getSecurityContext().getRunAsUser();
    }
    return pod.getSpec().getSecurityContext() == null
        ? null
        : pod.getSpec().getSecurityContext().getRunAsUser();
  }

  private static Long runAsGroup(Pod pod, Container container) {
    if (container.getSecurityContext() != null
        && container.getSecurityContext().getRunAsGroup() != null) {
      return container.getSecurityContext().getRunAsGroup();
    }
    return pod.getSpec().getSecurityContext() == null
        ? null
        : pod.getSpec().getSecurityContext().getRunAsGroup();
  }

  Pod pod() {
    return pod;
  }

  Container container() {
    return container;
  }

  String podName() {
    return pod.getMetadata().getName();
  }

  String ip() {
    return ip;
  }

  Instant started() {
    return started;
  }

  long graceSeconds() {
    Long grace = pod.getSpec().getTerminationGracePeriodSeconds();
    return grace == null ? 30 : grace;
  }

  void onExit(Runnable action) {
    unshare.onExit().thenRun(action);
  }

  boolean alive() {
    return unshare.isAlive();
  }

  /** The program's exit status (128 + signal when a signal ended it). */
  int exitCode() {
    return unshare.exitValue();
  }

  /** The namespace's init: the program. */
  private Optional<ProcessHandle> program() {
    return unshare.children().findFirst();
  }

  /** SIGKILL, as when the container dies. */
  void kill() {
    program().ifPresent(ProcessHandle::destroyForcibly);
    unshare.destroyForcibly();
  }

  /** SIGTERM, {@code graceSeconds} to exit, then SIGKILL; returns once it is gone. */
  void stop(long graceSeconds) {
    stopping = true;
    program().ifPresent(ProcessHandle::destroy);
    awaitOrKill(Math.max(1, graceSeconds));
  }

  /** Lets the program end by itself within {@code seconds}, else stops it. */
  void awaitExit(long seconds) {
    try {
      if (!unshare.waitFor(seconds, TimeUnit.SECONDS)) {
        stop(10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  private void awaitOrKill(long seconds) {
    try {
      if (!unshare.waitFor(seconds, TimeUnit.SECONDS)) {
        kill();
        unshare.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }
}
