package io.pgtrickle.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The test bed's image → program mapping for this project's own programs: a container whose image
 * name contains {@code cdc-consumer} runs {@code cdc-consumer/target/cdc-consumer.jar}, one with
 * {@code worker} runs {@code worker/target/worker.jar} (so both {@code
 * ghcr.io/pg-trickle/worker:0.1.0} and the seed's {@code ghcr.io/trickle-labs/pg-trickle-worker}),
 * each as its image's entrypoint does ({@code java -jar}, the container's args after it), from the
 * packaged jars and their {@code lib/} ({@code ./mvnw -pl cdc-consumer,worker -am package}). The
 * JVM options are {@code TESTBED_PROGRAM_JAVA_OPTS} (default {@value #DEFAULT_JAVA_OPTS}) and what
 * the pod needs on the test bed ({@link Launch#jvmOptions}).
 */
public final class Launchers {

  /** The JVM options of a program pod unless {@code TESTBED_PROGRAM_JAVA_OPTS} says otherwise. */
  public static final String DEFAULT_JAVA_OPTS =
      "-XX:+UseSerialGC -Xmx512m -Xss512k -XX:+ExitOnOutOfMemoryError";

  private Launchers() {}

  /** The project's programs, from the packaged jars of the repository {@code root}. */
  public static Map<String, Launcher> projectPrograms(Path root) {
    return Map.of(
        "cdc-consumer", javaJar(root.resolve("cdc-consumer/target/cdc-consumer.jar")),
        "worker", javaJar(root.resolve("worker/target/worker.jar")));
  }

  /**
   * {@code java [options] -jar JAR}; a missing jar fails the start (the pod stays not ready and is
   * retried with the kubelet's back-off) with the command that builds it.
   */
  public static Launcher javaJar(Path jar) {
    return launch -> {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(
            jar
                + " is missing (the image of this pod): build it with ./mvnw -am -pl "
                + jar.getParent().getParent().getFileName()
                + " -DskipTests package");
      }
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      String opts = System.getenv().getOrDefault("TESTBED_PROGRAM_JAVA_OPTS", DEFAULT_JAVA_OPTS);
      command.addAll(Arrays.stream(opts.trim().split("\\s+")).filter(o -> !o.isEmpty()).toList());
      command.addAll(launch.jvmOptions());
      command.add("-jar");
      command.add(jar.toString());
      return command;
    };
  }

  /**
   * The launcher of an image: the key that the last path segment of its repository contains
   * (longest key first), or null when the test bed does not know the image.
   */
  static Launcher forImage(Map<String, Launcher> launchers, String image) {
    String repository = image.replaceAll("@.*$", "");
    int slash = repository.lastIndexOf('/');
    int colon = repository.lastIndexOf(':');
    if (colon > slash) {
      repository = repository.substring(0, colon);
    }
    String segment = repository.substring(slash + 1);
    return launchers.entrySet().stream()
        .sorted((a, b) -> b.getKey().length() - a.getKey().length())
        .filter(e -> segment.contains(e.getKey()))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(null);
  }
}
