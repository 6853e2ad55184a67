package io.pgtrickle.operator.postgres.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The operator's certificate authority for one cluster, with BouncyCastle: a self-signed CA and the
 * server certificates it signs. Keys are ECDSA P-256 (fast to make, understood by PostgreSQL,
 * libpq, PgBouncer, Python and Java); certificates and keys travel as PEM text, keys in PKCS#8.
 *
 * <p>Errors: a PEM text that does not parse raises {@link IllegalArgumentException}; a JDK without
 * EC or SHA256withECDSA (never the case on a standard JDK) raises {@link IllegalStateException}.
 */
public final class CertificateAuthority {

  /** A certificate and its private key, both PEM. */
  public record Issued(String certificatePem, String privateKeyPem) {
    @Override
    public String toString() {
      return "Issued[certificate]"; // the key is never logged
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String SIGNATURE = "SHA256withECDSA";

  private CertificateAuthority() {}

  /** A new self-signed CA named {@code commonName}, valid from {@code now} for {@code validity}. */
  public static Issued newCa(String commonName, Instant now, Duration validity) {
    KeyPair keys = keyPair();
    X500Name subject = new X500Name("CN=" + commonName);
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  subject,
                  serial(),
                  notBefore(now),
                  notAfter(now, validity),
                  subject,
                  keys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(keys.getPublic()));
      return new Issued(pem(sign(builder, keys.getPrivate())), pem(keys.getPrivate()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot create a CA certificate: " + e, e);
    }
  }

  /**
   * A server certificate for {@code dnsNames} (the first is also the common name), signed by {@code
   * ca}, valid from {@code now} for {@code validity} but never beyond the CA itself.
   */
  public static Issued issueServer(
      Issued ca, List<String> dnsNames, Instant now, Duration validity) {
    return issue(
        ca,
        dnsNames.get(0),
        dnsNames,
        new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth},
        now,
        validity);
  }

  /**
   * A client certificate for the database role {@code user} (its common name, which PostgreSQL
   * compares with the user name for {@code clientcert=verify-full}), for client authentication
   * only, signed by {@code ca}, valid from {@code now} for {@code validity} but never beyond the
   * CA.
   */
  public static Issued issueClient(Issued ca, String user, Instant now, Duration validity) {
    return issue(
        ca, user, List.of(), new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}, now, validity);
  }

  private static Issued issue(
      Issued ca,
      String commonName,
      List<String> dnsNames,
      KeyPurposeId[] purposes,
      Instant now,
      Duration validity) {
    X509Certificate caCert = certificate(ca.certificatePem());
    PrivateKey caKey = privateKey(ca.privateKeyPem());
    KeyPair keys = keyPair();
    Date notAfter = notAfter(now, validity);
    if (notAfter.after(caCert.getNotAfter())) {
      notAfter = caCert.getNotAfter();
    }
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  caCert,
                  serial(),
                  notBefore(now),
                  notAfter,
                  new X500Name("CN=" + commonName),
                  keys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
              .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  utils.createAuthorityKeyIdentifier(caCert))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(keys.getPublic()));
      if (!dnsNames.isEmpty()) {
        GeneralName[] names =
            dnsNames.stream()
                .map(n -> new GeneralName(GeneralName.dNSName, n))
                .toArray(GeneralName[]::new);
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      return new Issued(pem(sign(builder, caKey)), pem(keys.getPrivate()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot issue the certificate of " + commonName + ": " + e, e);
    }
  }

  /** The first certificate of a PEM text. */
  public static X509Certificate certificate(String pem) {
    List<X509Certificate> all = certificates(pem);
    if (all.isEmpty()) {
      throw new IllegalArgumentException("no certificate in the PEM text");
    }
    return all.get(0);
  }

  /** Every certificate of a PEM text (a chain or a bundle), in order. */
  public static List<X509Certificate> certificates(String pem) {
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof X509CertificateHolder holder) {
          out.add(new JcaX509CertificateConverter().getCertificate(holder));
        }
      }
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
    }
    return out;
  }

  /** The private key of a PEM text (PKCS#8, or an EC/RSA key pair in OpenSSL's format). */
  public static PrivateKey privateKey(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (o instanceof org.bouncycastle.asn1.pkcs.PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new IllegalArgumentException("no private key in the PEM text");
    } catch (IOException e) {
      throw new IllegalArgumentException("not a PEM private key: " + e.getMessage(), e);
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC key generator: " + e, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws CertificateException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(key);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("no " + SIGNATURE + " signer: " + e, e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  /** A minute early: clocks of the nodes and the operator may differ slightly. */
  private static Date notBefore(Instant now) {
    return Date.from(now.minus(Duration.ofMinutes(1)));
  }

  private static Date notAfter(Instant now, Duration validity) {
    return Date.from(now.plus(validity));
  }

  private static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(
          object instanceof PrivateKey key
              ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null)
              : object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
