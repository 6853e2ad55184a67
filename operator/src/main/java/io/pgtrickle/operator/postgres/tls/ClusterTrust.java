package io.pgtrickle.operator.postgres.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How the operator trusts a cluster's members over TLS: a certificate chain must lead to the
 * cluster's CA ({@code ca.crt} of the serving Secret), and nothing else is trusted. The operator
 * reaches members by pod IP, which no certificate names, so the host name is not compared: only a
 * member of this cluster holds a key certified by its CA. (Clients, and members among themselves,
 * use DNS names and {@code sslmode=verify-full}.)
 */
public final class ClusterTrust {

  private static final Map<String, SSLContext> CONTEXTS = new ConcurrentHashMap<>();

  private ClusterTrust() {}

  /**
   * An SSL context trusting exactly the certificates of {@code caPem} (one or more PEM
   * certificates), shared by every caller with the same text. Errors: no certificate in the text
   * raises {@link IllegalArgumentException}.
   */
  public static SSLContext context(String caPem) {
    return CONTEXTS.computeIfAbsent(caPem, ClusterTrust::create);
  }

  /**
   * An SSL context that accepts any server certificate: encryption without authentication. Used for
   * one transitional case only, see {@link ServedTls#patroni}: TLS turned off while a member still
   * serves HTTPS from its old template and no CA is left to verify it by. There the spec asks for
   * plain HTTP, and an unverified TLS connection is no weaker than that (an active attacker in the
   * path can read the credentials either way; a passive one can read them only over plain HTTP).
   * Never used while the spec has TLS on.
   */
  public static SSLContext unverified() {
    return UNVERIFIED;
  }

  private static final SSLContext UNVERIFIED = unverifiedContext();

  private static SSLContext unverifiedContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new javax.net.ssl.TrustManager[] {new AnyServer()}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS context: " + e, e);
    }
  }

  private static SSLContext create(String caPem) {
    List<X509Certificate> anchors = CertificateAuthority.certificates(caPem);
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("no CA certificate to trust");
    }
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new javax.net.ssl.TrustManager[] {new ToCa(anchors)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS context: " + e, e);
    }
  }

  /** PKIX validation against the CA alone, without host name identification. */
  private static final class ToCa extends X509ExtendedTrustManager {
    private final Set<TrustAnchor> anchors;
    private final X509Certificate[] accepted;

    ToCa(List<X509Certificate> cas) {
      this.anchors =
          cas.stream().map(c -> new TrustAnchor(c, null)).collect(Collectors.toUnmodifiableSet());
      this.accepted = cas.toArray(X509Certificate[]::new);
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new CertificateException("no certificate presented");
      }
      try {
        PKIXParameters params = new PKIXParameters(anchors);
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX")
            .validate(
                CertificateFactory.getInstance("X.509").generateCertPath(Arrays.asList(chain)),
                params);
      } catch (GeneralSecurityException e) {
        throw new CertificateException(
            "certificate not issued by the cluster's CA: " + e.getMessage(), e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("the operator accepts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("the operator accepts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("the operator accepts no clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return accepted.clone();
    }
  }

  /** Accepts any server's chain (see {@link #unverified}); refuses clients. */
  private static final class AnyServer extends X509ExtendedTrustManager {

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("the operator accepts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("the operator accepts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("the operator accepts no clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
