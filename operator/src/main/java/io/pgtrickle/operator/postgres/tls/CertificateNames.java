package io.pgtrickle.operator.postgres.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The DNS names of a certificate's subject alternative names. */
final class CertificateNames {

  private static final int DNS_NAME = 2;

  private CertificateNames() {}

  static Set<String> of(X509Certificate cert) {
    Set<String> names = new TreeSet<>();
    try {
      Collection<List<?>> alternatives = cert.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> entry : alternatives) {
          if (entry.size() == 2 && Integer.valueOf(DNS_NAME).equals(entry.get(0))) {
            names.add(String.valueOf(entry.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // No readable names: the caller sees none.
    }
    return names;
  }
}
