package io.pgtrickle.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A local S3-compatible object store for backup tests: s3proxy (Maven Central {@code
 * org.gaul:s3proxy}, jar-with-dependencies, copied to {@code target/s3proxy/s3proxy.jar} by the
 * operator's {@code it} profile) in its own JVM, HTTPS only on 127.0.0.1 with a certificate made
 * here for {@code localhost} (its CA in {@link #caPem()}), AWS v2/v4 authentication with a random
 * key pair, and the filesystem backend under the test bed's directory. Buckets are directories,
 * made by {@link #createBucket}. The process dies with the test JVM (parent-death signal), and
 * {@link #close} stops it and removes its data.
 *
 * <p>Endpoint for pgBackRest: {@code https://localhost:PORT} with path-style URIs; the pods of the
 * test bed share the host's network, so they reach it as the tests do.
 */
public final class S3Server implements AutoCloseable {

  private final Path dir;
  private final int port;
  private final String accessKey;
  private final String secretKey;
  private final Process process;

  private S3Server(Path dir, int port, String accessKey, String secretKey, Process process) {
    this.dir = dir;
    this.port = port;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.process = process;
  }

  /** Starts a server; waits (up to 60 s) until it accepts connections. */
  public static S3Server start(TestBed testBed) {
    try {
      Path jar =
          Path.of(System.getProperty("s3proxy.jar", "target/s3proxy/s3proxy.jar")).toAbsolutePath();
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(
            "s3proxy not found at " + jar + ": run the tests with -Pit (it copies the jar there)");
      }
      Path dir =
          Files.createTempDirectory(
              Files.createDirectories(testBed.repositoryRootPath().resolve("target/testbed/s3")),
              "s3-");
      int port = LoopbackPorts.reserve();
      String password = random(16);
      Path keystore = dir.resolve("keystore.p12");
      run(
          "keytool",
          "-genkeypair",
          "-alias",
          "s3",
          "-keyalg",
          "RSA",
          "-keysize",
          "2048",
          "-validity",
          "30",
          "-dname",
          "CN=localhost",
          "-ext",
          "SAN=dns:localhost,ip:127.0.0.1",
          "-storetype",
          "PKCS12",
          "-keystore",
          keystore.toString(),
          "-storepass",
          password,
          "-keypass",
          password,
          "-noprompt");
      Path ca = dir.resolve("ca.crt");
      run(
          "keytool",
          "-exportcert",
          "-rfc",
          "-alias",
          "s3",
          "-keystore",
          keystore.toString(),
          "-storepass",
          password,
          "-file",
          ca.toString());
      String accessKey = "AK" + random(8).toUpperCase();
      String secretKey = random(20);
      Path data = Files.createDirectories(dir.resolve("data"));
      Path properties = dir.resolve("s3proxy.conf");
      Files.writeString(
          properties,
          String.join(
              "\n",
              "s3proxy.secure-endpoint=https://127.0.0.1:" + port,
              "s3proxy.keystore-path=" + keystore,
              "s3proxy.keystore-password=" + password,
              "s3proxy.authorization=aws-v2-or-v4",
              "s3proxy.identity=" + accessKey,
              "s3proxy.credential=" + secretKey,
              "jclouds.provider=filesystem",
              "jclouds.filesystem.basedir=" + data,
              ""));
      ProcessBuilder builder =
          new ProcessBuilder(
                  List.of(
                      "setpriv",
                      "--pdeathsig",
                      "KILL",
                      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                      "-Xmx256m",
                      "-jar",
                      jar.toString(),
                      "--properties",
                      properties.toString()))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("s3proxy.log").toFile());
      Process process = Spawner.start(builder);
      S3Server server = new S3Server(dir, port, accessKey, secretKey, process);
      LoopbackEmulator.awaitListening(
          process, port, dir.resolve("s3proxy.log"), "s3proxy", Duration.ofSeconds(60));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Freezes the server (SIGSTOP): the kernel still accepts connections, but nothing answers them,
   * as with a repository that cannot be reached. {@link #resume()} undoes it.
   */
  public void pause() {
    signal("STOP");
  }

  /** Lets a paused server answer again (SIGCONT). */
  public void resume() {
    signal("CONT");
  }

  private void signal(String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException(
            "kill -"
                + signal
                + " s3proxy failed: "
                + new String(kill.getInputStream().readAllBytes()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Creates a bucket (a directory of the filesystem backend). */
  public void createBucket(String bucket) {
    try {
      Path path = dir.resolve("data").resolve(bucket);
      Files.createDirectories(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The files stored in a bucket under a prefix (the repository's objects), relative names. */
  public List<String> objects(String bucket, String prefix) {
    Path root = dir.resolve("data").resolve(bucket);
    Path under = root.resolve(prefix.replaceFirst("^/", ""));
    if (!Files.isDirectory(under)) {
      return List.of();
    }
    try (var files = Files.walk(under)) {
      return files
          .filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The file holding an object of a bucket (filesystem backend), to read what the store holds. */
  public Path file(String bucket, String object) {
    return dir.resolve("data").resolve(bucket).resolve(object);
  }

  /** The endpoint for pgBackRest and clients: {@code https://localhost:PORT}. */
  public String endpoint() {
    return "https://localhost:" + port;
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  /** The certificate (PEM) clients must trust: self-signed, for localhost and 127.0.0.1. */
  public String caPem() {
    try {
      return Files.readString(dir.resolve("ca.crt"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // best effort: target/ is removed by a clean anyway
    }
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void run(String... command) throws IOException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    command[0] = keytool.toString();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IOException("keytool failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
