package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where {@link ProgramPods} runs the programs of one namespace's pods on this machine ({@code
 * target/testbed/programs/NAMESPACE}): each pod's log ({@code POD.log}, every incarnation's), its
 * temporary directory, the markers of Job pods whose program ran to its end, and the start of a
 * program with the pod's command and environment.
 */
final class ProgramWorkspace {

  private static final Logger LOG = LoggerFactory.getLogger(ProgramWorkspace.class);

  private final TestBed testBed;
  private final ServiceRouting routing;
  private final Path work;

  ProgramWorkspace(TestBed testBed, ServiceRouting routing, Path work) {
    this.testBed = testBed;
    this.routing = routing;
    this.work = work;
  }

  /** The log of a pod's program (every incarnation's). */
  Path log(String pod) {
    return work.resolve(pod + ".log");
  }

  /**
   * Starts the program of {@code pod} at {@code ip}: the launcher's command with the container's
   * arguments, exactly the container's environment plus {@code HOSTNAME}, {@code
   * PGTRICKLE_HTTP_ADDRESS}, {@code PATH} and {@code TMPDIR} (a directory of its own, owned by the
   * pod's {@code runAsUser}), its output appended to {@link #log}.
   */
  ProgramProcess start(Pod pod, String ip, Launcher launcher) throws IOException {
    String name = pod.getMetadata().getName();
    Path tmp = work.resolve(name).resolve("tmp");
    Files.createDirectories(tmp);
    Container container = pod.getSpec().getContainers().get(0);
    Long uid = ProgramProcess.runAsUser(pod, container);
    if (uid != null) {
      TestBed.run(
          testBed.repositoryRootPath(),
          Duration.ofSeconds(30),
          "chown",
          "-R",
          uid + "",
          tmp.toString());
    }
    List<String> command =
        new ArrayList<>(launcher.command(new Launch(pod, container, ip, routing.hostsFile(), tmp)));
    if (container.getArgs() != null) {
      command.addAll(container.getArgs());
    }
    Map<String, String> env = new java.util.LinkedHashMap<>();
    env.put("HOSTNAME", name);
    env.putAll(PodEnvironment.of(testBed.client(), pod, container, ip));
    env.put("PGTRICKLE_HTTP_ADDRESS", ip);
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("TMPDIR", tmp.toString());
    LOG.info("starting {} for pod {} on {}", container.getImage(), name, ip);
    return ProgramProcess.start(pod, container, ip, command, env, log(name));
  }

  /** A Job pod whose program already ran to its end (kwok reports it Succeeded meanwhile). */
  boolean finished(Pod pod) {
    return Files.exists(doneMarker(pod));
  }

  /** Notes that the Job pod's program ran to its end (exit 0). */
  void markDone(Pod pod) {
    try {
      Files.writeString(doneMarker(pod), "0");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path doneMarker(Pod pod) {
    return work.resolve(pod.getMetadata().getName() + "-" + pod.getMetadata().getUid() + ".done");
  }

  /** Appends a line of the test bed's own to the pod's log. */
  void appendLog(String pod, String line) {
    try {
      Files.createDirectories(work);
      Files.writeString(
          log(pod),
          line + "\n",
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      LOG.debug("cannot write the log of {}: {}", pod, e.toString());
    }
  }
}
