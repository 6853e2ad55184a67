package io.pgtrickle.adapter.it;

import io.pgtrickle.adapter.tls.KeyAndChain;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Talks to the adapter directly, past kube-apiserver: verifies its serving certificate against its
 * CA and presents a client certificate of the test's choosing (or none), with any headers. The host
 * name is not checked (the certificate is for the Service's name, the test dials 127.0.0.1).
 */
final class DirectClient {

  record Response(int code, String body) {}

  private final SSLContext tls;
  private final int port;

  DirectClient(String caPem, KeyAndChain client, int port) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (var ca : KeyAndChain.certificates(caPem)) {
      trust.setCertificateEntry("ca" + i++, ca);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry(
          "client", client.key(), "x".toCharArray(), client.chain().toArray(Certificate[]::new));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "x".toCharArray());
    }
    tls = SSLContext.getInstance("TLS");
    tls.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    this.port = port;
  }

  Response get(String path, Map<String, String> headers) throws IOException {
    HttpsURLConnection c =
        (HttpsURLConnection)
            URI.create("https://127.0.0.1:" + port + path).toURL().openConnection();
    c.setSSLSocketFactory(tls.getSocketFactory());
    c.setHostnameVerifier((host, session) -> true);
    c.setConnectTimeout(5000);
    c.setReadTimeout(10000);
    headers.forEach(c::addRequestProperty);
    int code = c.getResponseCode();
    try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
      return new Response(
          code, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      c.disconnect();
    }
  }
}
