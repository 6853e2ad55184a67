package io.pgtrickle.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import io.pgtrickle.operator.postgres.tls.ServedCertificate;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.operator.testbed.Psql;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * A TLS client of a test cluster: psql through the primary Service with {@code host=NAME-primary.
 * NS.svc} (the name the certificate must carry) and {@code hostaddr=} the pod the Service selects,
 * verifying against the CA the operator publishes in {@code NAME-ca}; the serial a member serves;
 * the cluster's Secrets.
 */
public final class TlsProbe implements AutoCloseable {

  private final TestNamespace namespace;
  private final HaCluster cluster;
  private final Path caFile;

  public TlsProbe(TestNamespace namespace, HaCluster cluster) throws IOException {
    this.namespace = namespace;
    this.cluster = cluster;
    this.caFile = Files.createTempFile("tls-it-ca", ".crt");
    Files.writeString(caFile, secretText(cluster.name() + "-ca", "ca.crt"));
  }

  public Path caFile() {
    return caFile;
  }

  /** The virtual address of {@code NAME-primary}. */
  public String primaryService() {
    return cluster.pods().routing().virtualAddress(cluster.name() + "-primary").orElseThrow();
  }

  public String primaryConninfo(String sslmode) {
    return "host="
        + cluster.name()
        + "-primary."
        + namespace.name()
        + ".svc hostaddr="
        + primaryService()
        + " port=5432 user=postgres dbname=postgres sslmode="
        + sslmode
        + " sslrootcert="
        + caFile;
  }

  /** A client certificate and key in files only the owner may read (as libpq demands). */
  record ClientFiles(Path cert, Path key) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      Files.deleteIfExists(cert);
      Files.deleteIfExists(key);
    }
  }

  ClientFiles clientFiles(String certPem, String keyPem) throws IOException {
    var ownerOnly =
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path cert = Files.createTempFile("tls-it-client", ".crt", ownerOnly);
    Path key = Files.createTempFile("tls-it-client", ".key", ownerOnly);
    Files.writeString(cert, certPem);
    Files.writeString(key, keyPem);
    return new ClientFiles(cert, key);
  }

  /**
   * A physical replication connection as {@code replicator} through the primary Service with {@code
   * verify-full}, presenting {@code client}'s certificate, or none (a file that does not exist:
   * libpq then sends no certificate).
   */
  String replicationConninfo(ClientFiles client) {
    return "host="
        + cluster.name()
        + "-primary."
        + namespace.name()
        + ".svc hostaddr="
        + primaryService()
        + " port=5432 user=replicator dbname=postgres replication=true sslmode=verify-full"
        + " sslrootcert="
        + caFile
        + (client == null
            ? " sslcert=/nonexistent/client.crt sslkey=/nonexistent/client.key"
            : " sslcert=" + client.cert() + " sslkey=" + client.key());
  }

  /** Runs {@code sql} on the primary with {@code verify-full}; returns its output. */
  public String primary(String sql) {
    Psql.Result result = Psql.run(primaryConninfo("verify-full"), cluster.password(), sql);
    assertThat(result.ok()).as(result.output()).isTrue();
    return result.output();
  }

  /** The serial of the certificate the primary serves now, read with openssl. */
  public String servedSerial() {
    return ServedCertificate.of(cluster.primaryIp().orElseThrow(), 5432)
        .map(c -> c.getSerialNumber().toString(16))
        .orElse("none");
  }

  public static String serial(String pem) {
    return CertificateAuthority.certificate(pem).getSerialNumber().toString(16);
  }

  public String secretText(String name, String key) {
    Secret secret = namespace.client().secrets().inNamespace(namespace.name()).withName(name).get();
    assertThat(secret).as("Secret " + name).isNotNull();
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  /** The cluster's own CA (the operator's, Secret {@code NAME-tls-ca}), key included. */
  public CertificateAuthority.Issued clusterCa() {
    return new CertificateAuthority.Issued(
        secretText(cluster.name() + "-tls-ca", "tls.crt"),
        secretText(cluster.name() + "-tls-ca", "tls.key"));
  }

  /**
   * Puts a server certificate near its end into {@code NAME-tls}, signed by the cluster's CA for
   * every name of the cluster, as if a year had passed (5 of 365 days left): the operator renews
   * it. Returns it.
   */
  public CertificateAuthority.Issued serveOneNearItsEnd() {
    CertificateAuthority.Issued ca = clusterCa();
    CertificateAuthority.Issued old =
        CertificateAuthority.issueServer(
            ca,
            ClusterTls.dnsNames(cluster.cluster()),
            Instant.now().minus(Duration.ofDays(360)),
            Duration.ofDays(365));
    replaceTls(cluster.name() + "-tls", old, ca.certificatePem());
    return old;
  }

  /**
   * The serial of {@code NAME-tls}'s certificate, asserted to be a renewal: neither {@code before}
   * (the serial before {@link #serveOneNearItsEnd()}) nor {@code old}'s.
   */
  public String renewedSerial(String before, CertificateAuthority.Issued old) {
    String now = serial(secretText(cluster.name() + "-tls", "tls.crt"));
    assertThat(now).isNotEqualTo(before).isNotEqualTo(serial(old.certificatePem()));
    return now;
  }

  /** Writes a server certificate into the Secret {@code name}, as a renewal would. */
  public void replaceTls(String name, CertificateAuthority.Issued server, String caPem) {
    Secret current =
        namespace.client().secrets().inNamespace(namespace.name()).withName(name).get();
    namespace
        .client()
        .secrets()
        .inNamespace(namespace.name())
        .resource(
            new SecretBuilder(current)
                .addToData("tls.crt", b64(server.certificatePem()))
                .addToData("tls.key", b64(server.privateKeyPem()))
                .addToData("ca.crt", b64(caPem))
                .build())
        .update();
  }

  public static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(caFile);
  }
}
