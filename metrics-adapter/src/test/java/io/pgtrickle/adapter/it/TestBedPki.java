package io.pgtrickle.adapter.it;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.adapter.tls.CertificateAuthority;
import io.pgtrickle.adapter.tls.KeyAndChain;
import io.pgtrickle.adapter.tls.ServingCertificate;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The certificates a test needs to talk to the adapter directly, past kube-apiserver: the CA the
 * adapter generated (from its TLS Secret), the test bed's front-proxy client certificate and its
 * cluster CA (to issue a client certificate of an ordinary user).
 */
final class TestBedPki {

  private TestBedPki() {}

  /** The adapter's CA, PEM, from its generated TLS Secret in the test namespace. */
  static String adapterCaPem(TestNamespace ns) {
    Secret s =
        ns.client()
            .secrets()
            .inNamespace(ns.name())
            .withName("pg-trickle-metrics-adapter-tls")
            .get();
    return new String(
        Base64.getDecoder().decode(s.getData().get(ServingCertificate.CA_KEY)),
        StandardCharsets.US_ASCII);
  }

  private static Path testBedDir(TestNamespace ns) {
    String dir = System.getenv("TESTBED_DIR");
    return dir != null ? Path.of(dir) : ns.testBed().repositoryRootPath().resolve("target/testbed");
  }

  /** kube-apiserver's front-proxy client certificate and key. */
  static KeyAndChain frontProxyClient(TestNamespace ns) throws Exception {
    Path d = testBedDir(ns).resolve("front-proxy");
    return KeyAndChain.fromPem(
        Files.readString(d.resolve("client.crt")), Files.readString(d.resolve("client.key")));
  }

  /** The cluster's client CA (it signs users' client certificates). */
  static CertificateAuthority clusterCa(TestNamespace ns) throws Exception {
    Path pki =
        testBedDir(ns)
            .resolve(
                "kwok/clusters/"
                    + System.getenv().getOrDefault("TESTBED_CLUSTER", "pgtrickle")
                    + "/pki");
    return CertificateAuthority.of(
        KeyAndChain.fromPem(
            Files.readString(pki.resolve("ca.crt")), Files.readString(pki.resolve("ca.key"))));
  }
}
