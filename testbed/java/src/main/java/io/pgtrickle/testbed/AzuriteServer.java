package io.pgtrickle.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A local Azure Blob Storage for backup tests: Azurite 3.35.0's blob service ({@code
 * testbed/azurite}, installed from npm by {@code testbed/testbed.sh azurite} and cached), HTTPS
 * only on 127.0.0.1 with a self-signed certificate ({@link #caPem()}), an account of its own with a
 * random shared key ({@code AZURITE_ACCOUNTS}), its data under the test bed's directory. Containers
 * are made (and their blobs listed) by {@link #createContainer} with the Azure Storage SDK
 * (pgBackRest does not create its container). The process dies with the test JVM, and {@link
 * #close} stops it and removes its data.
 *
 * <p>Endpoint for pgBackRest: {@code https://127.0.0.1:PORT} with path-style URIs ({@code
 * repo1-azure-uri-style=path}: the account in the path).
 */
public final class AzuriteServer implements AutoCloseable {

  private final Path dir;
  private final Path install;
  private final int port;
  private final String account;
  private final String key;
  private final Process process;

  private AzuriteServer(
      Path dir, Path install, int port, String account, String key, Process process) {
    this.dir = dir;
    this.install = install;
    this.port = port;
    this.account = account;
    this.key = key;
    this.process = process;
  }

  /** Installs Azurite if needed, starts it; waits (up to 60 s) until it listens. */
  public static AzuriteServer start(TestBed testBed) {
    Path install = LoopbackEmulator.provision("azurite");
    Path dir = LoopbackEmulator.directory(testBed, "azurite");
    LoopbackEmulator.selfSignedCertificate(dir);
    int port = LoopbackEmulator.freePort();
    byte[] secret = new byte[64];
    new SecureRandom().nextBytes(secret);
    String account = "pgtest";
    String key = Base64.getEncoder().encodeToString(secret);
    Path log = dir.resolve("azurite.log");
    Process process =
        LoopbackEmulator.start(
            List.of(
                install.resolve("node_modules/.bin/azurite-blob").toString(),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                Integer.toString(port),
                "--location",
                dir.resolve("data").toString(),
                "--cert",
                dir.resolve("cert.pem").toString(),
                "--key",
                dir.resolve("key.pem").toString(),
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry"),
            log,
            Map.of("AZURITE_ACCOUNTS", account + ":" + key));
    AzuriteServer server = new AzuriteServer(dir, install, port, account, key, process);
    LoopbackEmulator.awaitListening(process, port, log, "azurite", Duration.ofSeconds(60));
    return server;
  }

  /** Creates a container ({@code testbed/azurite/container.js}, the Azure Storage SDK). */
  public void createContainer(String container) {
    node("create", container);
  }

  /** The names of the blobs of a container, as the Blob service lists them. */
  public List<String> blobs(String container) {
    return node("list", container).lines().filter(l -> !l.isBlank()).sorted().toList();
  }

  private String node(String command, String container) {
    ProcessBuilder builder =
        new ProcessBuilder(
            "node", install.resolve("container.js").toString(), command, endpoint(), container);
    builder.environment().put("AZURE_STORAGE_ACCOUNT", account);
    builder.environment().put("AZURE_STORAGE_KEY", key);
    builder.environment().put("NODE_EXTRA_CA_CERTS", dir.resolve("cert.pem").toString());
    try {
      Path err = dir.resolve("container-js.err");
      Process node = builder.redirectError(err.toFile()).start();
      String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!node.waitFor(60, TimeUnit.SECONDS) || node.exitValue() != 0) {
        throw new IllegalStateException(
            "container.js " + command + " " + container + ": " + LoopbackEmulator.read(err));
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException("container.js " + command + " " + container, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code https://127.0.0.1:PORT}. */
  public String endpoint() {
    return "https://127.0.0.1:" + port;
  }

  /** The storage account's name. */
  public String account() {
    return account;
  }

  /** The account's shared key (base64). */
  public String key() {
    return key;
  }

  /** The certificate (PEM) clients must trust: self-signed, for localhost and 127.0.0.1. */
  public String caPem() {
    return LoopbackEmulator.read(dir.resolve("cert.pem"));
  }

  @Override
  public void close() {
    LoopbackEmulator.stop(process, dir);
  }
}
