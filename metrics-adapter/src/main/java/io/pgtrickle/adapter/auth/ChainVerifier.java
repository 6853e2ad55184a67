package io.pgtrickle.adapter.auth;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks that a client certificate chain leads to one of a set of CAs, is valid now and may be used
 * for client authentication (extended key usage clientAuth or none), with the JDK's PKIX validator.
 * Pure apart from the clock passed in.
 */
public final class ChainVerifier {

  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String ANY_EKU = "2.5.29.37.0";

  private final List<X509Certificate> cas;
  private final Set<TrustAnchor> anchors;

  /**
   * @param cas the CAs (may be empty: then nothing verifies)
   */
  public ChainVerifier(List<X509Certificate> cas) {
    this.cas = List.copyOf(cas);
    Set<TrustAnchor> a = new HashSet<>();
    for (X509Certificate ca : cas) {
      a.add(new TrustAnchor(ca, null));
    }
    this.anchors = a;
  }

  public List<X509Certificate> cas() {
    return cas;
  }

  /**
   * Verifies a chain.
   *
   * @param chain leaf first, as TLS presents it
   * @param now the time to check validity at
   * @throws CertificateException saying why the chain is not accepted
   */
  public void verify(X509Certificate[] chain, Date now) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("no client certificate");
    }
    if (anchors.isEmpty()) {
      throw new CertificateException("no CA to verify client certificates against");
    }
    List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
    while (path.size() > 1 && cas.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    try {
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(now);
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
    } catch (GeneralSecurityException e) {
      throw new CertificateException(
          "certificate "
              + chain[0].getSubjectX500Principal()
              + " is not accepted: "
              + e.getMessage(),
          e);
    }
    List<String> eku = chain[0].getExtendedKeyUsage();
    if (eku != null && !eku.contains(CLIENT_AUTH) && !eku.contains(ANY_EKU)) {
      throw new CertificateException(
          "certificate "
              + chain[0].getSubjectX500Principal()
              + " is not for client authentication");
    }
  }

  /** Whether the chain verifies, without the reason. */
  public boolean accepts(X509Certificate[] chain, Date now) {
    try {
      verify(chain, now);
      return true;
    } catch (CertificateException e) {
      return false;
    }
  }
}
