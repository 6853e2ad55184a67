package io.pgtrickle.adapter.auth;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How kube-apiserver authenticates to aggregated API servers, as it publishes it in the ConfigMap
 * {@code kube-system/extension-apiserver-authentication}: the CA of its front-proxy client
 * certificate ({@code requestheader-client-ca-file}), the names that certificate may have ({@code
 * requestheader-allowed-names}, empty: any), the headers carrying the user ({@code
 * requestheader-username-headers}, {@code -group-headers}, {@code -extra-headers-prefix}, JSON
 * arrays), and the CA of ordinary client certificates ({@code client-ca-file}).
 *
 * @param requestHeaderCa verifies the front proxy's certificate
 * @param allowedNames common names the front proxy's certificate may have (empty: any)
 * @param usernameHeaders headers naming the user, the first non-empty wins
 * @param groupHeaders headers naming groups, every value one group
 * @param extraHeaderPrefixes prefixes of headers carrying extra attributes
 * @param clientCa verifies ordinary client certificates (user = CN, groups = O)
 */
public record FrontProxyConfig(
    ChainVerifier requestHeaderCa,
    List<String> allowedNames,
    List<String> usernameHeaders,
    List<String> groupHeaders,
    List<String> extraHeaderPrefixes,
    ChainVerifier clientCa) {

  public static final String NAMESPACE = "kube-system";
  public static final String CONFIG_MAP = "extension-apiserver-authentication";

  /** Trusts nobody: before the ConfigMap has been read. */
  public static final FrontProxyConfig NONE =
      new FrontProxyConfig(
          new ChainVerifier(List.of()),
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          new ChainVerifier(List.of()));

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads the ConfigMap's data.
   *
   * @param data the ConfigMap's {@code data}
   * @return the configuration
   * @throws IllegalArgumentException naming the key that does not parse
   */
  public static FrontProxyConfig fromConfigMap(Map<String, String> data) {
    return new FrontProxyConfig(
        new ChainVerifier(certificates(data, "requestheader-client-ca-file")),
        list(data, "requestheader-allowed-names"),
        list(data, "requestheader-username-headers"),
        list(data, "requestheader-group-headers"),
        list(data, "requestheader-extra-headers-prefix"),
        new ChainVerifier(certificates(data, "client-ca-file")));
  }

  /** Every CA a client certificate may chain to (for the TLS handshake). */
  public List<X509Certificate> allCas() {
    List<X509Certificate> out = new ArrayList<>(requestHeaderCa.cas());
    for (X509Certificate c : clientCa.cas()) {
      if (!out.contains(c)) {
        out.add(c);
      }
    }
    return out;
  }

  private static List<String> list(Map<String, String> data, String key) {
    String v = data.get(key);
    if (v == null || v.isBlank()) {
      return List.of();
    }
    try {
      return List.copyOf(JSON.readValue(v, new TypeReference<List<String>>() {}));
    } catch (Exception e) {
      throw new IllegalArgumentException(
          CONFIG_MAP + " key " + key + " is not a JSON list of strings: " + e.getMessage(), e);
    }
  }

  private static List<X509Certificate> certificates(Map<String, String> data, String key) {
    String pem = data.get(key);
    if (pem == null || pem.isBlank()) {
      return List.of();
    }
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        out.add((X509Certificate) c);
      }
      return out;
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          CONFIG_MAP + " key " + key + " holds no PEM certificates: " + e.getMessage(), e);
    }
  }
}
