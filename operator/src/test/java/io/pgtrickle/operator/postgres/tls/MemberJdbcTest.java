package io.pgtrickle.operator.postgres.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.TlsSpec;
import io.pgtrickle.operator.postgres.spec.Clusters;
import java.io.IOException;
import java.net.InetAddress;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

class MemberJdbcTest {

  private static final Instant NOW = Instant.now();
  private static final CertificateAuthority.Issued CA =
      CertificateAuthority.newCa("ns/db CA", NOW.minusSeconds(60), Duration.ofDays(10));

  @Test
  void withoutTlsTheOperatorPrefersTls() {
    PostgresCluster cluster = Clusters.basic(2);
    MemberJdbc.Target target = MemberJdbc.target(cluster, "db-1", "10.0.0.7", null, name -> null);
    assertThat(target.tls()).isFalse();
    assertThat(MemberJdbc.url(target, "template1"))
        .isEqualTo("jdbc:postgresql://10.0.0.7:5432/template1");
    Properties props = MemberJdbc.properties(target, "postgres", "pw", 5, 15);
    assertThat(props.getProperty("sslmode")).isEqualTo("prefer");
    assertThat(props.getProperty("sslfactory")).isNull();
    assertThat(props.getProperty("ApplicationName")).isEqualTo("pg-trickle-operator");
  }

  @Test
  void withTlsItVerifiesTheMemberByItsDnsNameAgainstTheServingSecretsCa() {
    PostgresCluster cluster = tls(null);
    MemberJdbc.Target target =
        MemberJdbc.target(
            cluster, "db-1", "10.0.0.7", "db-tls", secrets("db-tls", CA.certificatePem()));
    assertThat(target.serverName()).isEqualTo("db-1.db-pods.ns.svc");
    assertThat(target.caPem()).isEqualTo(CA.certificatePem());
    assertThat(target.toString()).doesNotContain("BEGIN");
    Properties props = MemberJdbc.properties(target, "postgres", "pw", 5, 15);
    assertThat(props.getProperty("sslmode")).isEqualTo("verify-full");
    assertThat(props.getProperty("sslfactory")).isEqualTo(CaSocketFactory.class.getName());
    assertThat(props.getProperty("sslhostnameverifier"))
        .isEqualTo(MemberNameVerifier.class.getName());
    assertThat(props.getProperty(MemberJdbc.SERVER_NAME_PROPERTY)).isEqualTo("db-1.db-pods.ns.svc");
    assertThat(props.getProperty(MemberJdbc.CA_PROPERTY)).isEqualTo(CA.certificatePem());
    // A user's Secret (certSecret, or cert-manager's NAME-tls) is the one whose CA counts.
    assertThat(
            MemberJdbc.target(
                    tls("postgres-tls"),
                    "db-0",
                    "10.0.0.6",
                    "postgres-tls",
                    secrets("postgres-tls", CA.certificatePem()))
                .caPem())
        .isEqualTo(CA.certificatePem());
  }

  /**
   * TLS turned on: a member still on the template from before has SSL off (and pg_hba {@code
   * host}); the operator reaches it as it serves, with prefer, until it restarts.
   */
  @Test
  void aMemberStartedBeforeTlsWasTurnedOnIsReachedWithoutVerifyFull() {
    MemberJdbc.Target target =
        MemberJdbc.target(
            tls(null), "db-1", "10.0.0.7", null, secrets("db-tls", CA.certificatePem()));
    assertThat(target.tls()).isFalse();
    assertThat(MemberJdbc.properties(target, "postgres", "pw", 5, 15).getProperty("sslmode"))
        .isEqualTo("prefer");
  }

  /**
   * TLS turned off: a member still on the TLS template serves SSL (and pg_hba may ask {@code
   * hostssl}): verified against the CA of the Secret it mounts while that is there, encrypted
   * without verification once no CA is left (no weaker than the prefer the spec asks for).
   */
  @Test
  void aMemberStartedBeforeTlsWasTurnedOffIsReachedOverTls() {
    PostgresCluster off = Clusters.basic(2);
    MemberJdbc.Target verified =
        MemberJdbc.target(
            off, "db-1", "10.0.0.7", "db-tls", secrets("db-tls", CA.certificatePem()));
    assertThat(verified.tls()).isTrue();
    assertThat(verified.serverName()).isEqualTo("db-1.db-pods.ns.svc");
    assertThat(MemberJdbc.properties(verified, "postgres", "pw", 5, 15).getProperty("sslmode"))
        .isEqualTo("verify-full");
    // The CA published for clients (NAME-ca) serves when the mounted Secret is gone.
    assertThat(
            MemberJdbc.target(
                    off, "db-1", "10.0.0.7", "db-tls", secrets("db-ca", CA.certificatePem()))
                .caPem())
        .isEqualTo(CA.certificatePem());
    MemberJdbc.Target unverified =
        MemberJdbc.target(off, "db-1", "10.0.0.7", "db-tls", name -> null);
    assertThat(unverified.tls()).isFalse();
    Properties props = MemberJdbc.properties(unverified, "postgres", "pw", 5, 15);
    assertThat(props.getProperty("sslmode")).isEqualTo("require");
    assertThat(props.getProperty("sslfactory")).isNull();
  }

  @Test
  void withTlsAMissingCaIsRefusedSayingWhich() {
    assertThatThrownBy(
            () -> MemberJdbc.target(tls(null), "db-0", "10.0.0.6", "db-tls", name -> null))
        .isInstanceOf(MemberJdbc.NoCaException.class)
        .hasMessageContaining("Secret \"db-tls\" has no ca.crt")
        .hasMessageContaining("verify-full");
    assertThatThrownBy(
            () ->
                MemberJdbc.target(
                    tls("postgres-tls"),
                    "db-0",
                    "10.0.0.6",
                    "postgres-tls",
                    secrets("postgres-tls", null)))
        .isInstanceOf(MemberJdbc.NoCaException.class)
        .hasMessageContaining("postgres-tls");
  }

  @Test
  void theDriversTlsPartsAcceptOnlyTheClustersCaAndTheMembersName() throws Exception {
    PostgresCluster cluster = tls(null);
    var server =
        CertificateAuthority.issueServer(
            CA, ClusterTls.dnsNames(cluster), NOW.minusSeconds(60), Duration.ofDays(5));
    Properties props =
        MemberJdbc.properties(
            MemberJdbc.target(
                cluster, "db-1", "127.0.0.1", "db-tls", secrets("db-tls", CA.certificatePem())),
            "postgres",
            "pw",
            5,
            15);
    SSLSession session = handshake(server, new CaSocketFactory(props));
    assertThat(new MemberNameVerifier(props).verify("127.0.0.1", session)).isTrue();
    Properties otherName = new Properties();
    otherName.putAll(props);
    otherName.setProperty(MemberJdbc.SERVER_NAME_PROPERTY, "db-1.db-pods.other.svc");
    assertThat(new MemberNameVerifier(otherName).verify("127.0.0.1", session)).isFalse();
    // A server certified by another CA fails the handshake.
    var stranger = CertificateAuthority.newCa("other", NOW.minusSeconds(60), Duration.ofDays(10));
    var strangersServer =
        CertificateAuthority.issueServer(
            stranger, ClusterTls.dnsNames(cluster), NOW.minusSeconds(60), Duration.ofDays(5));
    assertThatThrownBy(() -> handshake(strangersServer, new CaSocketFactory(props)))
        .isInstanceOf(SSLHandshakeException.class);
    Properties noCa = new Properties();
    assertThatThrownBy(() -> new CaSocketFactory(noCa))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MemberNameVerifier(noCa))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** A TLS handshake with a server on loopback serving {@code server}; the client's session. */
  private static SSLSession handshake(
      CertificateAuthority.Issued server, javax.net.ssl.SSLSocketFactory client) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(
        "server",
        CertificateAuthority.privateKey(server.privateKeyPem()),
        new char[0],
        new Certificate[] {CertificateAuthority.certificate(server.certificatePem())});
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    try (SSLServerSocket listener =
        (SSLServerSocket)
            context
                .getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> accepted =
          CompletableFuture.runAsync(
              () -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                  s.startHandshake();
                } catch (IOException e) {
                  // the client refused the server: its side reports it
                }
              });
      try (SSLSocket socket =
          (SSLSocket) client.createSocket(listener.getInetAddress(), listener.getLocalPort())) {
        socket.startHandshake();
        return socket.getSession();
      } finally {
        accepted.get();
      }
    }
  }

  private static PostgresCluster tls(String certSecret) {
    PostgresCluster cluster = Clusters.basic(2);
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(true);
    tls.setCertSecret(certSecret);
    cluster.getSpec().setTls(tls);
    return cluster;
  }

  private static java.util.function.Function<String, Secret> secrets(String name, String ca) {
    SecretBuilder secret = new SecretBuilder().withNewMetadata().withName(name).endMetadata();
    if (ca != null) {
      secret.addToStringData(Map.of(ClusterTls.CA, ca));
    }
    Secret built = secret.build();
    return n -> n.equals(name) ? built : null;
  }
}
