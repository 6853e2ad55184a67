package io.pgtrickle.adapter.tls;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving certificate and the CA kube-apiserver trusts it by (the APIService's {@code
 * caBundle}). Either given by the user as PEM files (e.g. from cert-manager, whose CA injector then
 * fills the caBundle), or generated with BouncyCastle and kept in a Secret of type {@code
 * kubernetes.io/tls} (keys {@code tls.crt}, {@code tls.key}, {@code ca.crt}) so that every replica
 * serves the same certificate: the first replica creates it, the others read it; one that expires
 * within {@link #RENEW_BEFORE} or lacks a name is replaced at start. The CA's key is never kept.
 *
 * @param serving the key and chain to serve
 * @param caPem the CA for the caBundle (PEM)
 */
public record ServingCertificate(KeyAndChain serving, String caPem) {

  private static final Logger LOG = LoggerFactory.getLogger(ServingCertificate.class);

  /** How long a generated certificate is valid. */
  static final Duration VALIDITY = Duration.ofDays(5 * 365);

  /** A certificate closer than this to its end is replaced at start. */
  static final Duration RENEW_BEFORE = Duration.ofDays(365);

  public static final String CA_KEY = "ca.crt";
  public static final String CERT_KEY = "tls.crt";
  public static final String KEY_KEY = "tls.key";

  /**
   * Reads the user's files.
   *
   * @param certFile the chain, leaf first
   * @param keyFile the key
   * @return the certificate; the CA is the last certificate of the chain
   * @throws java.io.IOException when a file cannot be read
   */
  public static ServingCertificate fromFiles(Path certFile, Path keyFile)
      throws java.io.IOException {
    KeyAndChain k =
        KeyAndChain.fromPem(
            Files.readString(certFile, StandardCharsets.US_ASCII),
            Files.readString(keyFile, StandardCharsets.US_ASCII));
    return new ServingCertificate(k, KeyAndChain.pem(k.chain().get(k.chain().size() - 1)));
  }

  /**
   * Reads the Secret, or generates the certificate into it.
   *
   * @param client the Kubernetes client
   * @param namespace the adapter's namespace
   * @param secretName the Secret
   * @param dnsNames the names the certificate must carry
   * @return the certificate
   */
  public static ServingCertificate fromSecret(
      KubernetesClient client, String namespace, String secretName, List<String> dnsNames) {
    for (int attempt = 0; ; attempt++) {
      Secret s = client.secrets().inNamespace(namespace).withName(secretName).get();
      ServingCertificate current = s == null ? null : usable(s, dnsNames);
      if (current != null) {
        LOG.info("serving certificate from Secret {}/{}", namespace, secretName);
        return current;
      }
      ServingCertificate made = generate(dnsNames);
      Secret desired =
          new SecretBuilder()
              .withNewMetadata()
              .withName(secretName)
              .withNamespace(namespace)
              .addToLabels("app.kubernetes.io/component", "metrics-adapter")
              .endMetadata()
              .withType("kubernetes.io/tls")
              .withData(
                  Map.of(
                      CERT_KEY, b64(made.serving().chainPem()),
                      KEY_KEY, b64(made.serving().keyPem()),
                      CA_KEY, b64(made.caPem())))
              .build();
      try {
        if (s == null) {
          client.secrets().inNamespace(namespace).resource(desired).create();
        } else {
          desired.getMetadata().setResourceVersion(s.getMetadata().getResourceVersion());
          client.secrets().inNamespace(namespace).resource(desired).update();
        }
        LOG.info(
            "generated a serving certificate for {} into Secret {}/{}",
            dnsNames,
            namespace,
            secretName);
        return made;
      } catch (KubernetesClientException e) {
        // Another replica wrote it first (409): read theirs.
        if (e.getCode() != 409 || attempt >= 3) {
          throw e;
        }
      }
    }
  }

  /** A new CA and serving certificate (pure apart from randomness). */
  public static ServingCertificate generate(List<String> dnsNames) {
    CertificateAuthority ca =
        CertificateAuthority.create(
            "pg-trickle-metrics-adapter-ca@" + Instant.now().getEpochSecond(), VALIDITY);
    return new ServingCertificate(
        ca.issueServer(dnsNames, VALIDITY), KeyAndChain.pem(ca.certificate()));
  }

  static ServingCertificate usable(Secret s, List<String> dnsNames) {
    Map<String, String> d = s.getData();
    if (d == null || d.get(CERT_KEY) == null || d.get(KEY_KEY) == null || d.get(CA_KEY) == null) {
      return null;
    }
    try {
      KeyAndChain k = KeyAndChain.fromPem(unb64(d.get(CERT_KEY)), unb64(d.get(KEY_KEY)));
      X509Certificate leaf = k.certificate();
      if (leaf.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))
          || !dnsNames(leaf).containsAll(dnsNames)) {
        LOG.info(
            "serving certificate in Secret {} expires soon or lacks a name: replacing it",
            s.getMetadata().getName());
        return null;
      }
      return new ServingCertificate(k, unb64(d.get(CA_KEY)));
    } catch (IllegalArgumentException | CertificateParsingException e) {
      LOG.warn(
          "Secret {} holds no usable certificate ({}): replacing it",
          s.getMetadata().getName(),
          e.getMessage());
      return null;
    }
  }

  static List<String> dnsNames(X509Certificate cert) throws CertificateParsingException {
    List<String> out = new ArrayList<>();
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    if (sans != null) {
      for (List<?> san : sans) {
        if (Integer.valueOf(2).equals(san.get(0))) {
          out.add((String) san.get(1));
        }
      }
    }
    return out;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static String unb64(String s) {
    return new String(Base64.getDecoder().decode(s), StandardCharsets.US_ASCII);
  }
}
