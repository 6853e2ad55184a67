package io.pgtrickle.adapter.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServingCertificateTest {

  private static final List<String> NAMES = List.of("svc.ns.svc", "svc.ns.svc.cluster.local");

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void generatedForTheServiceNamesAndSignedByTheBundledCa() throws Exception {
    ServingCertificate c = ServingCertificate.generate(NAMES);
    assertThat(ServingCertificate.dnsNames(c.serving().certificate()))
        .containsExactlyElementsOf(NAMES);
    var ca = KeyAndChain.certificates(c.caPem()).get(0);
    c.serving().certificate().verify(ca.getPublicKey());
    assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(c.serving().certificate().getExtendedKeyUsage())
        .containsExactly("1.3.6.1.5.5.7.3.1");
    // PEM round trip, as the Secret holds it.
    KeyAndChain back = KeyAndChain.fromPem(c.serving().chainPem(), c.serving().keyPem());
    assertThat(back.chain()).isEqualTo(c.serving().chain());
    assertThat(back.key().getEncoded()).isEqualTo(c.serving().key().getEncoded());
  }

  @Test
  void aSecretIsReusedOnlyWhenItCoversTheNames() {
    ServingCertificate c = ServingCertificate.generate(NAMES);
    Secret s =
        new SecretBuilder()
            .withNewMetadata()
            .withName("tls")
            .endMetadata()
            .withData(
                Map.of(
                    ServingCertificate.CERT_KEY, b64(c.serving().chainPem()),
                    ServingCertificate.KEY_KEY, b64(c.serving().keyPem()),
                    ServingCertificate.CA_KEY, b64(c.caPem())))
            .build();
    assertThat(ServingCertificate.usable(s, NAMES)).isNotNull();
    assertThat(ServingCertificate.usable(s, List.of("other.ns.svc"))).isNull();
    Secret broken =
        new SecretBuilder(s).withData(Map.of(ServingCertificate.CERT_KEY, b64("junk"))).build();
    assertThat(ServingCertificate.usable(broken, NAMES)).isNull();
  }
}
