package io.pgtrickle.adapter.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.pgtrickle.adapter.custommetrics.Shapes;
import io.pgtrickle.adapter.tls.KeyAndChain;
import io.pgtrickle.program.http.ProbeServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The HTTPS endpoint kube-apiserver proxies to, on the JDK's {@link HttpsServer}: TLS 1.2/1.3 with
 * the serving certificate; client certificates are asked for ("want", not "need": probes come
 * without one) and verified by the trust manager in the handshake. {@code /healthz}, {@code /livez}
 * and {@code /readyz} are open; everything else goes to {@link ApiHandler}.
 */
public final class ApiServer implements AutoCloseable {

  private final HttpsServer server;

  /**
   * Starts serving.
   *
   * @param bindAddress the address
   * @param port the port (0: any free one)
   * @param serving the serving key and chain
   * @param trust verifies client certificates
   * @param handler answers API requests
   * @param readiness the readiness verdict
   * @param metrics the adapter's own metrics
   * @param executor the request threads
   * @throws IOException if the port cannot be bound
   * @throws GeneralSecurityException if the key does not load
   */
  public ApiServer(
      String bindAddress,
      int port,
      KeyAndChain serving,
      X509TrustManager trust,
      ApiHandler handler,
      Supplier<Health.Verdict> readiness,
      AdapterMetrics metrics,
      ExecutorService executor)
      throws IOException, GeneralSecurityException {
    SSLContext tls = SSLContext.getInstance("TLS");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pass = "serving".toCharArray();
    ks.setKeyEntry("serving", serving.key(), pass, serving.chain().toArray(Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pass);
    tls.init(kmf.getKeyManagers(), new TrustManager[] {trust}, null);
    server = HttpsServer.create(new InetSocketAddress(bindAddress, port), 64);
    server.setHttpsConfigurator(
        new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = tls.getDefaultSSLParameters();
            p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            p.setWantClientAuth(true);
            params.setSSLParameters(p);
          }
        });
    server.createContext("/healthz", ex -> ProbeServer.probe(ex, Health.liveness(), NO_CACHE));
    server.createContext("/livez", ex -> ProbeServer.probe(ex, Health.liveness(), NO_CACHE));
    server.createContext("/readyz", ex -> ProbeServer.probe(ex, readiness.get(), NO_CACHE));
    server.createContext(
        "/",
        ex -> {
          long start = System.nanoTime();
          ApiHandler.Response r;
          try {
            r =
                handler.handle(
                    new ApiHandler.Request(
                        ex.getRequestMethod(),
                        ex.getRequestURI().getRawPath(),
                        ex.getRequestURI().getRawQuery(),
                        peerChain(ex),
                        ex.getRequestHeaders()));
          } catch (RuntimeException e) {
            ex.sendResponseHeaders(500, -1);
            ex.close();
            throw e;
          }
          byte[] body = Shapes.JSON.writeValueAsBytes(r.body());
          ProbeServer.respond(ex, r.code(), "application/json", body, NO_CACHE);
          metrics.request(r.kind(), r.code(), Duration.ofNanos(System.nanoTime() - start));
        });
    server.setExecutor(executor);
    server.start();
  }

  private static X509Certificate[] peerChain(HttpExchange ex) {
    if (!(ex instanceof HttpsExchange https)) {
      return null;
    }
    try {
      Certificate[] certs = https.getSSLSession().getPeerCertificates();
      X509Certificate[] out = new X509Certificate[certs.length];
      for (int i = 0; i < certs.length; i++) {
        out[i] = (X509Certificate) certs[i];
      }
      return out;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** Sent with every answer: nothing the adapter serves may be cached. */
  static final Map<String, String> NO_CACHE = Map.of("Cache-Control", "no-cache, private");

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
