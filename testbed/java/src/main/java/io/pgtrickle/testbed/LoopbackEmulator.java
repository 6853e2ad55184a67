package io.pgtrickle.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the object store emulators of the backup tests ({@link GcsServer}, {@link AzuriteServer})
 * share: a directory under the test bed's, a free loopback port, a self-signed certificate for
 * {@code localhost} and {@code 127.0.0.1} (pgBackRest speaks only HTTPS and checks the host name),
 * the program built or installed by {@code testbed/testbed.sh}, and a process that dies with the
 * test JVM (parent-death signal).
 */
final class LoopbackEmulator {

  private LoopbackEmulator() {}

  /** A new directory {@code target/testbed/NAME/NAME-*} of the test bed. */
  static Path directory(TestBed testBed, String name) {
    try {
      return Files.createTempDirectory(
          Files.createDirectories(testBed.repositoryRootPath().resolve("target/testbed/" + name)),
          name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs {@code testbed/testbed.sh WHAT} (builds or installs the emulator into the cache when
   * needed: minutes cold) and returns the path it prints last.
   */
  static Path provision(String what) {
    TestBed.Result built =
        TestBed.run(TestBed.repositoryRoot(), Duration.ofMinutes(20), "testbed/testbed.sh", what);
    String[] lines = built.output().strip().split("\n");
    Path path = Path.of(lines[lines.length - 1].strip());
    if (!built.ok() || !Files.exists(path)) {
      throw new IllegalStateException(
          "testbed/testbed.sh "
              + what
              + " failed (exit "
              + built.exitCode()
              + "): "
              + built.output());
    }
    return path;
  }

  /**
   * Writes {@code cert.pem} and {@code key.pem} (RSA 2048, 30 days, SAN localhost and 127.0.0.1)
   * into {@code dir} with openssl; the certificate is also the CA clients trust.
   */
  static void selfSignedCertificate(Path dir) {
    TestBed.Result made =
        TestBed.run(
            dir,
            Duration.ofMinutes(1),
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1");
    if (!made.ok()) {
      throw new IllegalStateException("openssl req failed: " + made.output());
    }
  }

  static int freePort() {
    return LoopbackPorts.reserve();
  }

  /** Starts {@code command} under {@code setpriv --pdeathsig KILL}, its output into {@code log}. */
  static Process start(List<String> command, Path log, java.util.Map<String, String> env) {
    List<String> full = new java.util.ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL"));
    full.addAll(command);
    ProcessBuilder builder =
        new ProcessBuilder(full)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    try {
      return Spawner.start(builder);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits until 127.0.0.1:{@code port} accepts connections on a socket of {@code process} ({@link
   * ListeningSockets}: not another process listening there), failing early when it exits.
   */
  static void awaitListening(Process process, int port, Path log, String name, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited: " + read(log));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        if (ListeningSockets.heldBy(process.toHandle(), port)) {
          return; // ours, not another process's
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException(
        name + " did not listen on 127.0.0.1:" + port + " in " + timeout + ": " + read(log));
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
  static void stop(Process process, Path dir) {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // best effort: target/ is removed by a clean anyway
    }
  }

  static String read(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }
}
