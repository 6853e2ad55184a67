package io.pgtrickle.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The OAuth 2 token endpoint of a service account key for {@link GcsServer} (fake-gcs-server has
 * none): a service account of its own (RSA 2048, made here), its key file ({@link #keyJson()},
 * {@code token_uri} pointing here), and {@code POST /token} answering the JWT bearer grant (RFC
 * 7523) with an access token only when the assertion is signed (RS256) by that account's key,
 * issued by its {@code client_email} and addressed to this {@code token_uri}; anything else gets
 * 401. HTTPS on 127.0.0.1 with the emulator's certificate.
 */
final class GcsTokenEndpoint implements AutoCloseable {

  static final String CLIENT_EMAIL = "pgbackrest@pg-trickle-test.iam.gserviceaccount.com";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpsServer server;
  private final KeyPair account;
  private final String tokenUri;
  private final AtomicInteger granted = new AtomicInteger();

  GcsTokenEndpoint(Path certificateDir) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      this.account = generator.generateKeyPair();
      int port = LoopbackEmulator.freePort();
      this.tokenUri = "https://127.0.0.1:" + port + "/token";
      this.server = HttpsServer.create(new InetSocketAddress("127.0.0.1", port), 16);
      server.setHttpsConfigurator(new HttpsConfigurator(tls(certificateDir)));
      server.createContext("/token", this::token);
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The service account key file (JSON) a GCS client signs its assertions with. */
  String keyJson() {
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(account.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    Map<String, String> key = new HashMap<>();
    key.put("type", "service_account");
    key.put("project_id", "pg-trickle-test");
    key.put("private_key_id", "1");
    key.put("private_key", pem);
    key.put("client_email", CLIENT_EMAIL);
    key.put("client_id", "1");
    key.put("token_uri", tokenUri);
    try {
      return JSON.writeValueAsString(key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How many access tokens were granted to valid assertions. */
  int granted() {
    return granted.get();
  }

  private void token(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> form = new HashMap<>();
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      for (String pair : body.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          form.put(
              URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      String problem = check(exchange.getRequestMethod(), form);
      byte[] out =
          (problem == null
                  ? "{\"access_token\":\"ya29.test-"
                      + granted.incrementAndGet()
                      + "\","
                      + "\"expires_in\":3600,\"token_type\":\"Bearer\"}"
                  : "{\"error\":\"invalid_grant\",\"error_description\":\"" + problem + "\"}")
              .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(problem == null ? 200 : 401, out.length);
      exchange.getResponseBody().write(out);
    }
  }

  /** Null when the request is a valid JWT bearer grant of this account, else what is wrong. */
  private String check(String method, Map<String, String> form) {
    if (!"POST".equals(method)) {
      return "POST only";
    }
    if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(form.get("grant_type"))) {
      return "grant_type must be jwt-bearer";
    }
    String[] jwt = form.getOrDefault("assertion", "").split("\\.");
    if (jwt.length != 3) {
      return "assertion is not a JWT";
    }
    try {
      Signature rs256 = Signature.getInstance("SHA256withRSA");
      rs256.initVerify(account.getPublic());
      rs256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
      if (!rs256.verify(Base64.getUrlDecoder().decode(jwt[2]))) {
        return "signature does not verify with the account's key";
      }
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
      if (!CLIENT_EMAIL.equals(claims.path("iss").asText())) {
        return "iss is not the account";
      }
      if (!tokenUri.equals(claims.path("aud").asText())) {
        return "aud is not the token_uri";
      }
      return null;
    } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
      return "bad assertion: " + e.getClass().getSimpleName();
    }
  }

  private static SSLContext tls(Path dir) throws IOException, GeneralSecurityException {
    String pem = Files.readString(dir.resolve("key.pem"));
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    PrivateKey key =
        KeyFactory.getInstance("RSA")
            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    Certificate cert =
        CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(dir.resolve("cert.pem"))));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "test".toCharArray();
    store.setKeyEntry("gcs", key, password, new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
