package io.pgtrickle.operator.postgres.tls;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509TrustManager;

/**
 * The certificate a PostgreSQL server presents right now: PostgreSQL's SSLRequest, then a TLS
 * handshake that only records the server's certificate and closes before any authentication. Used
 * to tell whether a member has loaded the certificate its Secret holds (a reload is due when not).
 * Nothing is sent over the connection, so the certificate is read without being trusted.
 */
public final class ServedCertificate {

  private static final int TIMEOUT_MS = 2000;

  private ServedCertificate() {}

  /**
   * The server certificate of the PostgreSQL at {@code host:port}; empty when the server does not
   * speak TLS or does not answer within two seconds.
   */
  public static Optional<X509Certificate> of(String host, int port) {
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    try (Socket plain = SslRequest.open(host, port, TIMEOUT_MS)) {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new javax.net.ssl.TrustManager[] {new Recorder(seen)}, null);
      try (SSLSocket tls =
          (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, false)) {
        tls.startHandshake();
      }
    } catch (IOException | GeneralSecurityException e) {
      // No answer, or a handshake that failed after the certificate was seen.
    }
    return Optional.ofNullable(seen.get());
  }

  private record Recorder(AtomicReference<X509Certificate> seen) implements X509TrustManager {
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      if (chain != null && chain.length > 0) {
        seen.set(chain[0]);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("not a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
