package io.pgtrickle.operator.postgres.sidecars;

import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.spec.PgBouncerConfig;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.postgres.tls.ClusterTrust;
import io.pgtrickle.operator.postgres.tls.ServedCertificate;
import io.pgtrickle.operator.postgres.tls.StaleCertificates;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificate rotation for the pooler, without restarts: PgBouncer (1.18) reads {@code
 * client_tls_cert_file} and {@code client_tls_key_file} at start and on {@code RELOAD} only, so
 * after a renewal every member's PgBouncer went on serving the old certificate until it expired,
 * and then every {@code verify-full} client of {@code NAME-pooler} failed. Each round compares the
 * certificate each running member's PgBouncer serves on port {@value PgBouncerConfig#PORT} with the
 * one the serving Secret holds and, where they differ, sends {@code RELOAD} to that PgBouncer's
 * admin console as its auth user (an {@code admin_users} entry of pgbouncer.ini; {@link
 * PgBouncerConsole}, TLS trusting the cluster's CA as every connection of the operator to a member
 * does, {@link ClusterTrust}, and SCRAM). A PgBouncer whose files are not updated yet keeps serving
 * the old one and is asked again after {@link StaleCertificates#REASK_AFTER}. One that serves a
 * certificate the cluster's CA does not verify (expired, or the CA was replaced) is not reloaded:
 * restarting the member is the way then, as for PostgreSQL ({@code TlsReload} reaches Patroni the
 * same way).
 */
public final class PoolerReload {

  private static final Logger LOG = LoggerFactory.getLogger(PoolerReload.class);

  /** How long the console gets to answer (connecting, and each read). */
  static final Duration CONSOLE_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Sends RELOAD to the PgBouncer at a pod IP, as the auth user with {@code password}, trusting
   * {@code caPem}.
   */
  interface Console {
    void reload(String podIp, String password, String caPem) throws IOException;
  }

  private final Console console;
  private final Function<String, Optional<X509Certificate>> served;
  private final StaleCertificates asked = new StaleCertificates();

  public PoolerReload() {
    this(
        (ip, password, ca) ->
            PgBouncerConsole.run(
                ip,
                PgBouncerConfig.PORT,
                ClusterTrust.context(ca),
                PgBouncerConfig.AUTH_USER,
                password,
                "RELOAD",
                CONSOLE_TIMEOUT),
        ip -> ServedCertificate.of(ip, PgBouncerConfig.PORT));
  }

  /**
   * @param console how RELOAD is sent
   * @param served the certificate the PgBouncer at a pod IP serves now (empty when it does not
   *     answer with TLS)
   */
  PoolerReload(Console console, Function<String, Optional<X509Certificate>> served) {
    this.console = console;
    this.served = served;
  }

  /**
   * Asks every running member's PgBouncer that serves another certificate than {@code wantedPem} to
   * reload (at most once per {@link StaleCertificates#REASK_AFTER} per member and certificate),
   * trusting {@code caPem} (the serving Secret's {@code ca.crt}). Returns true while some PgBouncer
   * still serves another one (the caller looks again soon). A PgBouncer that does not answer with
   * TLS (starting, or its member is) is left alone; {@code caPem} or {@code password} null (a
   * Secret not read yet) only reports.
   */
  public boolean reloadStale(
      List<Member> members, String wantedPem, String caPem, String password, Instant now) {
    if (wantedPem == null) {
      return false;
    }
    X509Certificate wanted = CertificateAuthority.certificate(wantedPem);
    List<Member> stale = StaleCertificates.of(members, wanted, served);
    for (Member member : stale) {
      if (password == null || caPem == null || !asked.due(member, wanted, now)) {
        continue;
      }
      try {
        console.reload(member.podIp(), password, caPem);
        LOG.info("PgBouncer of {} serves an older certificate: sent RELOAD", member.name());
      } catch (IOException | RuntimeException e) {
        LOG.info(
            "RELOAD of the PgBouncer of {} not possible yet: {}", member.name(), e.getMessage());
      }
    }
    return !stale.isEmpty();
  }
}
