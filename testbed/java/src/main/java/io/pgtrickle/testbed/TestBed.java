package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
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
  private int podNet = -1;

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

  /**
   * The second octet of this test bed's pod network, {@code 127.<net>.0.0/16}: the nodes' pod CIDRs
   * are {@code 127.<net>.<node>.0/24} (testbed/testbed.sh).
   */
  public synchronized int podNet() {
    if (podNet < 0) {
      String cidr =
          client.nodes().list().getItems().stream()
              .map(n -> n.getSpec().getPodCIDR())
              .filter(c -> c != null && c.startsWith("127."))
              .findFirst()
              .orElseThrow(
                  () -> new IllegalStateException("no node of the test bed has a 127.x pod CIDR"));
      podNet = Integer.parseInt(cidr.split("\\.")[1]);
    }
    return podNet;
  }

  /** Runs the test bed's kubectl against this cluster. */
  public Result kubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add(bin.resolve("kubectl").toString());
    command.add("--kubeconfig=" + kubeconfig);
    command.addAll(List.of(args));
    return run(root, Duration.ofMinutes(2), command.toArray(String[]::new));
  }

  /**
   * Applies the project's CRDs and waits until they are established: those the operator's build
   * generated ({@code operator/target/crds}, so an operator test sees its own changes), else the
   * committed ones ({@code deploy/crds}, which a test keeps equal to the build's).
   */
  public void applyGeneratedCrds() {
    Path generated = root.resolve("operator/target/crds");
    Path dir = Files.isDirectory(generated) ? generated : root.resolve("deploy/crds");
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
                        && c.getStatus().getConditions() != null
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
   * The project's custom resources whose finalizers {@link #deleteNamespace} drops: (apiVersion,
   * kind). Named here rather than through the operator's classes, so the test bed depends on no
   * module of the project.
   */
  static final List<ResourceDefinitionContext> OPERATOR_KINDS =
      List.of(
          kind("postgres.example.com", "v1", "PostgresCluster", "postgresclusters"),
          kind("postgres.example.com", "v1", "PostgresBackup", "postgresbackups"),
          kind("trickle-labs.io", "v1alpha1", "StreamTableCluster", "streamtableclusters"));

  private static ResourceDefinitionContext kind(
      String group, String version, String kind, String plural) {
    return new ResourceDefinitionContext.Builder()
        .withGroup(group)
        .withVersion(version)
        .withKind(kind)
        .withPlural(plural)
        .withNamespaced(true)
        .build();
  }

  /**
   * Deletes a namespace. The operator that would run the finalizers of its PostgresClusters and
   * StreamTableClusters is usually stopped by then, so they are dropped first; otherwise the
   * namespace would stay Terminating and a later operator would find clusters of tests long gone.
   */
  public void deleteNamespace(String namespace) {
    for (ResourceDefinitionContext kind : OPERATOR_KINDS) {
      try {
        client
            .genericKubernetesResources(kind)
            .inNamespace(namespace)
            .list()
            .getItems()
            .forEach(
                resource ->
                    client
                        .resource(resource)
                        .patch(
                            PatchContext.of(PatchType.JSON_MERGE),
                            "{\"metadata\":{\"finalizers\":null}}"));
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) {
          throw e; // 404: the kind's CRD is not installed
        }
      }
    }
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

  /**
   * Label of namespaces whose pods a test plays itself ({@link PatroniPods}, {@link
   * VolumeProvisioner}) or deliberately leaves unplayed: the demo's pod player, which plays every
   * other namespace, keeps out of them.
   */
  public static final String PLAYED_BY_TEST_LABEL = "testbed.pgtrickle.io/played-by-test";

  /** A namespace for a test or benchmark, labelled so the demo's pod player keeps out. */
  public static io.fabric8.kubernetes.api.model.Namespace testNamespace(String name) {
    return new io.fabric8.kubernetes.api.model.NamespaceBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(PLAYED_BY_TEST_LABEL, "true")
        .endMetadata()
        .build();
  }

  /** The exit code and the merged stdout/stderr of a finished command. */
  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs a command in {@code dir}, its output merged, waiting at most {@code timeout}. */
  public static Result run(Path dir, Duration timeout, String... command) {
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
