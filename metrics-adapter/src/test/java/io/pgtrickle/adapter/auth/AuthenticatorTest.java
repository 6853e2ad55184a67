package io.pgtrickle.adapter.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.adapter.tls.CertificateAuthority;
import io.pgtrickle.adapter.tls.KeyAndChain;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

public class AuthenticatorTest {

  public static final CertificateAuthority FRONT_PROXY_CA =
      CertificateAuthority.create("front-proxy-ca", Duration.ofDays(1));
  public static final CertificateAuthority CLIENT_CA =
      CertificateAuthority.create("kube-ca", Duration.ofDays(1));
  static final CertificateAuthority STRANGER_CA =
      CertificateAuthority.create("other", Duration.ofDays(1));

  public static final FrontProxyConfig CONFIG =
      new FrontProxyConfig(
          new ChainVerifier(List.of(FRONT_PROXY_CA.certificate())),
          List.of("front-proxy-client"),
          List.of("X-Remote-User"),
          List.of("X-Remote-Group"),
          List.of("X-Remote-Extra-"),
          new ChainVerifier(List.of(CLIENT_CA.certificate())));

  static final Map<String, List<String>> IMPERSONATING =
      Map.of(
          "X-remote-user", List.of("system:kube-controller-manager"),
          "X-Remote-Group", List.of("system:masters", "team-a"),
          "X-Remote-Extra-Scopes%2fPath", List.of("one", "two"));

  private static X509Certificate[] chain(KeyAndChain k) {
    return k.chain().toArray(X509Certificate[]::new);
  }

  private static Authenticator.Result auth(
      FrontProxyConfig c, KeyAndChain k, Map<String, List<String>> h) {
    return Authenticator.authenticate(c, k == null ? null : chain(k), h, new Date());
  }

  @Test
  void theFrontProxyNamesTheUserInItsHeaders() {
    var r =
        auth(
            CONFIG,
            FRONT_PROXY_CA.issueClient("CN=front-proxy-client", Duration.ofHours(1)),
            IMPERSONATING);
    assertThat(r)
        .isEqualTo(
            new Authenticator.Authenticated(
                new UserInfo(
                    "system:kube-controller-manager",
                    List.of("system:masters", "team-a", "system:authenticated"),
                    Map.of("scopes/path", List.of("one", "two"))),
                true));
  }

  @Test
  void aFrontProxyCertificateWithAnotherNameIsNotTrusted() {
    var r =
        auth(
            CONFIG,
            FRONT_PROXY_CA.issueClient("CN=someone-else", Duration.ofHours(1)),
            IMPERSONATING);
    assertThat(r).isInstanceOf(Authenticator.Unauthenticated.class);
  }

  @Test
  void noAllowedNamesMeansAnyNameFromTheFrontProxyCa() {
    FrontProxyConfig any =
        new FrontProxyConfig(
            CONFIG.requestHeaderCa(),
            List.of(),
            CONFIG.usernameHeaders(),
            CONFIG.groupHeaders(),
            CONFIG.extraHeaderPrefixes(),
            CONFIG.clientCa());
    var r = auth(any, FRONT_PROXY_CA.issueClient("CN=whoever", Duration.ofHours(1)), IMPERSONATING);
    assertThat(((Authenticator.Authenticated) r).user().name())
        .isEqualTo("system:kube-controller-manager");
  }

  @Test
  void theFrontProxyMustNameAUser() {
    var r =
        auth(
            CONFIG,
            FRONT_PROXY_CA.issueClient("CN=front-proxy-client", Duration.ofHours(1)),
            Map.of("X-Remote-User", List.of(""), "X-Remote-Group", List.of("system:masters")));
    assertThat(r).isInstanceOf(Authenticator.Unauthenticated.class);
  }

  @Test
  void aClientCertificateIsItsOwnUserAndItsHeadersAreIgnored() {
    var r =
        auth(
            CONFIG,
            CLIENT_CA.issueClient("CN=alice,O=team-a,O=team-b", Duration.ofHours(1)),
            IMPERSONATING);
    assertThat(r)
        .isEqualTo(
            new Authenticator.Authenticated(
                new UserInfo(
                    "alice", List.of("team-a", "team-b", "system:authenticated"), Map.of()),
                false));
  }

  @Test
  void aCertificateFromTheClientCaWithTheFrontProxyNameIsStillOnlyAClient() {
    var r =
        auth(
            CONFIG,
            CLIENT_CA.issueClient("CN=front-proxy-client", Duration.ofHours(1)),
            IMPERSONATING);
    assertThat(((Authenticator.Authenticated) r).user().name()).isEqualTo("front-proxy-client");
    assertThat(((Authenticator.Authenticated) r).viaFrontProxy()).isFalse();
  }

  @Test
  void noCertificateOrAStrangersIsUnauthenticated() {
    assertThat(auth(CONFIG, null, IMPERSONATING)).isInstanceOf(Authenticator.Unauthenticated.class);
    assertThat(
            auth(
                CONFIG,
                STRANGER_CA.issueClient("CN=front-proxy-client", Duration.ofHours(1)),
                IMPERSONATING))
        .isInstanceOf(Authenticator.Unauthenticated.class);
    assertThat(
            auth(
                FrontProxyConfig.NONE,
                CLIENT_CA.issueClient("CN=alice", Duration.ofHours(1)),
                Map.of()))
        .isInstanceOf(Authenticator.Unauthenticated.class);
  }

  @Test
  void anExpiredCertificateIsUnauthenticated() {
    KeyAndChain k = CLIENT_CA.issueClient("CN=alice", Duration.ofHours(1));
    var r =
        Authenticator.authenticate(
            CONFIG, chain(k), Map.of(), new Date(System.currentTimeMillis() + 7_200_000));
    assertThat(r).isInstanceOf(Authenticator.Unauthenticated.class);
  }

  @Test
  void aServerCertificateIsNoClientCertificate() {
    KeyAndChain server = CLIENT_CA.issueServer(List.of("x.ns.svc"), Duration.ofHours(1));
    assertThat(auth(CONFIG, server, Map.of())).isInstanceOf(Authenticator.Unauthenticated.class);
  }

  @Test
  void theConfigMapAsKubeApiserverWritesIt() {
    FrontProxyConfig c =
        FrontProxyConfig.fromConfigMap(
            Map.of(
                "client-ca-file", KeyAndChain.pem(CLIENT_CA.certificate()),
                "requestheader-client-ca-file", KeyAndChain.pem(FRONT_PROXY_CA.certificate()),
                "requestheader-allowed-names", "[\"front-proxy-client\"]",
                "requestheader-username-headers", "[\"X-Remote-User\"]",
                "requestheader-group-headers", "[\"X-Remote-Group\"]",
                "requestheader-extra-headers-prefix", "[\"X-Remote-Extra-\"]"));
    assertThat(c.allowedNames()).containsExactly("front-proxy-client");
    assertThat(c.allCas()).containsExactly(FRONT_PROXY_CA.certificate(), CLIENT_CA.certificate());
    var r =
        auth(
            c,
            FRONT_PROXY_CA.issueClient("CN=front-proxy-client", Duration.ofHours(1)),
            IMPERSONATING);
    assertThat(((Authenticator.Authenticated) r).viaFrontProxy()).isTrue();
  }
}
