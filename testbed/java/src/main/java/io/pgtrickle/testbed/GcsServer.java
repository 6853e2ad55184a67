package io.pgtrickle.testbed;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A local Google Cloud Storage for backup tests: fake-gcs-server 1.56.1 ({@code testbed/fakegcs},
 * built from the Go module proxy by {@code testbed/testbed.sh fakegcs} and cached), HTTPS only on
 * 127.0.0.1 with a self-signed certificate ({@link #caPem()}), the filesystem backend under the
 * test bed's directory. It accepts any OAuth token: pgBackRest authenticates with {@code
 * repo1-gcs-key-type=token}. Buckets are made by {@link #createBucket} through the JSON API. The
 * process dies with the test JVM, and {@link #close} stops it and removes its data.
 *
 * <p>Endpoint for pgBackRest: {@code https://127.0.0.1:PORT} ({@code repo1-gcs-endpoint}
 * host:port); the pods of the test bed share the host's network.
 */
public final class GcsServer implements AutoCloseable {

  private final Path dir;
  private final int port;
  private final Process process;
  private final GcsTokenEndpoint tokens;

  private GcsServer(Path dir, int port, Process process, GcsTokenEndpoint tokens) {
    this.dir = dir;
    this.port = port;
    this.process = process;
    this.tokens = tokens;
  }

  /** Builds fake-gcs-server if needed, starts it; waits (up to 60 s) until it listens. */
  public static GcsServer start(TestBed testBed) {
    Path binary = LoopbackEmulator.provision("fakegcs");
    Path dir = LoopbackEmulator.directory(testBed, "gcs");
    LoopbackEmulator.selfSignedCertificate(dir);
    int port = LoopbackEmulator.freePort();
    Path log = dir.resolve("fake-gcs-server.log");
    Process process =
        LoopbackEmulator.start(
            List.of(
                binary.toString(),
                "-scheme",
                "https",
                "-host",
                "127.0.0.1",
                "-port",
                Integer.toString(port),
                "-cert-location",
                dir.resolve("cert.pem").toString(),
                "-private-key-location",
                dir.resolve("key.pem").toString(),
                "-backend",
                "filesystem",
                "-filesystem-root",
                dir.resolve("data").toString(),
                "-public-host",
                "127.0.0.1:" + port,
                "-external-url",
                "https://127.0.0.1:" + port,
                "-log-level",
                "warn"),
            log,
            Map.of());
    GcsServer server = new GcsServer(dir, port, process, new GcsTokenEndpoint(dir));
    LoopbackEmulator.awaitListening(process, port, log, "fake-gcs-server", Duration.ofSeconds(60));
    return server;
  }

  /** Creates a bucket ({@code POST /storage/v1/b}, the JSON API's buckets.insert). */
  public void createBucket(String bucket) {
    try {
      HttpClient client = HttpClient.newBuilder().sslContext(trusting()).build();
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create(endpoint() + "/storage/v1/b?project=test"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + bucket + "\"}"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "creating bucket "
                + bucket
                + ": HTTP "
                + response.statusCode()
                + " "
                + response.body());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The objects of a bucket under a prefix (the repository's files), relative names, as the
   * filesystem backend stores them (one file per object, its metadata beside it, not listed).
   */
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
          .filter(name -> !name.endsWith(".metadata"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A service account key file (JSON, what Google hands out) whose {@code token_uri} is this
   * server's token endpoint ({@link GcsTokenEndpoint}): a client signing its JWT with it gets an
   * access token, the way pgBackRest's {@code repo1-gcs-key-type=service} does against Google.
   */
  public String serviceAccountKeyJson() {
    return tokens.keyJson();
  }

  /** How many access tokens the token endpoint granted to assertions signed with the key. */
  public int tokensGranted() {
    return tokens.granted();
  }

  /** {@code https://127.0.0.1:PORT}. */
  public String endpoint() {
    return "https://127.0.0.1:" + port;
  }

  /** The certificate (PEM) clients must trust: self-signed, for localhost and 127.0.0.1. */
  public String caPem() {
    try {
      return Files.readString(dir.resolve("cert.pem"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private SSLContext trusting() {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry(
          "gcs",
          CertificateFactory.getInstance("X.509")
              .generateCertificate(
                  new ByteArrayInputStream(caPem().getBytes(StandardCharsets.US_ASCII))));
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    tokens.close();
    LoopbackEmulator.stop(process, dir);
  }
}
