package io.pgtrickle.operator.testbed;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The local Kubernetes control plane of {@code testbed/testbed.sh}, shared by every test of one
 * JVM. Started on first use when it is not already running, and then stopped again when the JVM
 * exits; a cluster someone else started (for example {@code make testbed-up}) is left running. When
 * it cannot start, the error says why: tests never skip silently.
 */
public final class TestBed {

  private static TestBed shared;

  private final Path root;
  private final Path kubeconfig;
  private final Path bin;
  private final KubernetesClient client;

  private TestBed(Path root) {
    this.root = root;
    this.kubeconfig = root.resolve("target/testbed/kubeconfig");
    this.bin = root.resolve("target/testbed/bin");
    this.client = newClient();
  }

  /** The test bed of this JVM, started if necessary. */
  public static synchronized TestBed shared() {
    if (shared == null) {
      Path root = repositoryRoot();
      boolean running = run(root, Duration.ofSeconds(30), "testbed/testbed.sh", "status").ok();
      if (!running) {
        Result up = run(root, Duration.ofMinutes(60), "testbed/testbed.sh", "up");
        if (!up.ok()) {
          throw new IllegalStateException(
              "The Kubernetes test bed did not start (testbed/testbed.sh up exited "
                  + up.exitCode()
                  + "). Run `make testbed-up` to see why. Its output ended with:\n"
                  + tail(up.output(), 40));
        }
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(() -> run(root, Duration.ofMinutes(2), "testbed/testbed.sh", "down")));
      }
      shared = new TestBed(root);
    }
    return shared;
  }

  /** A client authenticated as the test bed's administrator. */
  public KubernetesClient client() {
    return client;
  }

  /** A new client for the same cluster, for tests that need one they can close. */
  public KubernetesClient newClient() {
    try {
      Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
      return new KubernetesClientBuilder().withConfig(config).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + kubeconfig, e);
    }
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  public Path repositoryRootPath() {
    return root;
  }

  /** Runs the test bed's kubectl against this cluster. */
  public Result kubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add(bin.resolve("kubectl").toString());
    command.add("--kubeconfig=" + kubeconfig);
    command.addAll(List.of(args));
    return run(root, Duration.ofMinutes(2), command.toArray(String[]::new));
  }

  /** Applies the CRDs the build generated (operator/target/crds) and waits until established. */
  public void applyGeneratedCrds() {
    Path dir = root.resolve("operator/target/crds");
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        CustomResourceDefinition crd =
            client
                .getKubernetesSerialization()
                .unmarshal(Files.readString(file), CustomResourceDefinition.class);
        client.resource(crd).forceConflicts().serverSideApply();
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(crd.getMetadata().getName())
            .waitUntilCondition(
                c ->
                    c != null
                        && c.getStatus() != null
                        && c.getStatus().getConditions().stream()
                            .anyMatch(
                                x ->
                                    "Established".equals(x.getType())
                                        && "True".equals(x.getStatus())),
                60,
                TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the generated CRDs in " + dir, e);
    }
  }

  /**
   * Deletes a namespace. The operator that would run the finalizers of its PostgresClusters and
   * StreamTableClusters is usually stopped by then, so they are dropped first; otherwise the
   * namespace would stay Terminating and a later operator would find clusters of tests long gone.
   */
  public void deleteNamespace(String namespace) {
    client
        .resources(io.pgtrickle.operator.api.PostgresCluster.class)
        .inNamespace(namespace)
        .list()
        .getItems()
        .forEach(
            cluster ->
                client
                    .resource(cluster)
                    .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"finalizers\":null}}"));
    client
        .resources(io.pgtrickle.operator.api.streams.StreamTableCluster.class)
        .inNamespace(namespace)
        .list()
        .getItems()
        .forEach(
            stc ->
                client
                    .resource(stc)
                    .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"finalizers\":null}}"));
    // Pods the pod player held for a graceful stop, if it did not get to release them.
    GracefulTermination termination = new GracefulTermination(client, namespace);
    client.pods().inNamespace(namespace).list().getItems().stream()
        .filter(
            p ->
                p.getMetadata().getFinalizers() != null
                    && p.getMetadata().getFinalizers().contains(GracefulTermination.FINALIZER))
        .forEach(p -> termination.release(p.getMetadata().getName(), p.getMetadata().getUid()));
    client.namespaces().withName(namespace).delete();
  }

  /** The exit code and the merged stdout/stderr of a finished command. */
  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  static Result run(Path dir, Duration timeout, String... command) {
    try {
      Path log = Files.createTempFile("testbed", ".log");
      Process process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return new Result(-1, "timed out after " + timeout + ": " + String.join(" ", command));
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      Files.deleteIfExists(log);
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      return new Result(-1, "cannot run " + String.join(" ", command) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }

  private static String tail(String text, int lines) {
    String[] all = text.split("\n");
    return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
  }

  /** The directory holding testbed/go.mod, found upwards from the working directory. */
  public static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("testbed/go.mod"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(
          "cannot find the repository root (a directory with testbed/go.mod) above "
              + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
