package io.pgtrickle.adapter.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes the adapter's CA and serving certificate with BouncyCastle: ECDSA P-256 keys, SHA-256
 * signatures, a self-signed CA (CA:true, keyCertSign) and a leaf for TLS servers whose subject
 * alternative names are the Service's DNS names (what kube-apiserver verifies: {@code
 * <service>.<namespace>.svc}). Tests also use it to make client certificates.
 */
public final class CertificateAuthority {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyAndChain ca;

  private CertificateAuthority(KeyAndChain ca) {
    this.ca = ca;
  }

  /**
   * A new self-signed CA.
   *
   * @param commonName its CN
   * @param validity how long it is valid from now
   * @return the CA
   */
  public static CertificateAuthority create(String commonName, Duration validity) {
    try {
      KeyPair pair = keyPair();
      X500Name name = new X500Name("CN=" + commonName);
      X509v3CertificateBuilder b = builder(name, name, pair, validity);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new CertificateAuthority(KeyAndChain.of(pair, sign(b, pair)));
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot create a CA: " + e.getMessage(), e);
    }
  }

  /**
   * A CA from an existing key and certificate (tests: the test bed's CAs).
   *
   * @param ca the CA's key and certificate
   * @return the CA
   */
  public static CertificateAuthority of(KeyAndChain ca) {
    return new CertificateAuthority(ca);
  }

  public X509Certificate certificate() {
    return ca.certificate();
  }

  /**
   * A TLS server certificate.
   *
   * @param dnsNames its subject alternative names (the first is also its CN)
   * @param validity how long it is valid from now
   * @return the key and chain (leaf, CA)
   */
  public KeyAndChain issueServer(List<String> dnsNames, Duration validity) {
    return issue("CN=" + dnsNames.get(0), dnsNames, KeyPurposeId.id_kp_serverAuth, validity);
  }

  /**
   * A TLS client certificate.
   *
   * @param subject e.g. {@code CN=alice,O=team-a}
   * @param validity how long it is valid from now
   * @return the key and chain (leaf, CA)
   */
  public KeyAndChain issueClient(String subject, Duration validity) {
    return issue(subject, List.of(), KeyPurposeId.id_kp_clientAuth, validity);
  }

  private KeyAndChain issue(
      String subject, List<String> dnsNames, KeyPurposeId purpose, Duration validity) {
    try {
      KeyPair pair = keyPair();
      X509v3CertificateBuilder b =
          builder(
              X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
              new X500Name(subject),
              pair,
              validity);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      b.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          ext.createAuthorityKeyIdentifier(ca.certificate()));
      if (!dnsNames.isEmpty()) {
        GeneralName[] names =
            dnsNames.stream()
                .map(n -> new GeneralName(GeneralName.dNSName, n))
                .toArray(GeneralName[]::new);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      X509Certificate leaf =
          new JcaX509CertificateConverter()
              .getCertificate(
                  b.build(
                      new JcaContentSignerBuilder(signatureAlgorithm(ca.key())).build(ca.key())));
      return KeyAndChain.of(pair, leaf, ca.certificate());
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a certificate: " + e.getMessage(), e);
    }
  }

  private static String signatureAlgorithm(java.security.PrivateKey key) {
    return key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, KeyPair pair, Duration validity) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(127, RANDOM).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofMinutes(5))),
        Date.from(now.plus(validity)),
        subject,
        pair.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair pair)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }
}
