package io.pgtrickle.adapter.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * A private key with its certificate chain (leaf first), and their PEM forms (BouncyCastle's PEM
 * reader and writer).
 *
 * @param key the private key
 * @param chain the certificate chain, leaf first
 */
public record KeyAndChain(PrivateKey key, List<X509Certificate> chain) {

  /** The leaf certificate. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** The chain as PEM. */
  public String chainPem() {
    return pem(chain.toArray());
  }

  /** The key as PEM (PKCS#8). */
  public String keyPem() {
    try {
      return pem(new JcaPKCS8Generator(key, null).generate());
    } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * PEM of objects (certificates, keys).
   *
   * @param objects what to write
   * @return the PEM text
   */
  public static String pem(Object... objects) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        w.writeObject(o);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  /**
   * Reads a key and its chain from PEM.
   *
   * @param chainPem the certificates, leaf first
   * @param keyPem the private key (PKCS#8, or PKCS#1 RSA / SEC1 EC)
   * @return the pair
   * @throws IllegalArgumentException when either does not parse or they are missing
   */
  public static KeyAndChain fromPem(String chainPem, String keyPem) {
    List<X509Certificate> chain = certificates(chainPem);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("no certificate in the PEM text");
    }
    PrivateKey key = null;
    try (PEMParser p = new PEMParser(new StringReader(keyPem))) {
      Object o = p.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair kp) {
        key = conv.getPrivateKey(kp.getPrivateKeyInfo());
      } else if (o instanceof PrivateKeyInfo info) {
        key = conv.getPrivateKey(info);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("private key does not parse: " + e.getMessage(), e);
    }
    if (key == null) {
      throw new IllegalArgumentException("no private key in the PEM text");
    }
    return new KeyAndChain(key, chain);
  }

  /**
   * Reads certificates from PEM.
   *
   * @param pem the text
   * @return the certificates in order
   */
  public static List<X509Certificate> certificates(String pem) {
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
      Object o;
      while ((o = p.readObject()) != null) {
        if (o instanceof X509CertificateHolder h) {
          out.add(conv.getCertificate(h));
        }
      }
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException("certificates do not parse: " + e.getMessage(), e);
    }
    return out;
  }

  /** A pair from a generated key pair. */
  static KeyAndChain of(KeyPair pair, X509Certificate... chain) {
    return new KeyAndChain(pair.getPrivate(), List.of(chain));
  }
}
