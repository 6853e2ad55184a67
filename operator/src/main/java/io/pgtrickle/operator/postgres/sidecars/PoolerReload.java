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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every member's PgBouncer on what the cluster wants, without restarts. PgBouncer (1.18)
 * reads pgbouncer.ini and its TLS files only at start and on {@code RELOAD} (checked 2026-12-02:
 * with the files replaced it went on with the old ones until a {@code RELOAD}), so before this
 *
 * <ul>
 *   <li>after a renewal every member's PgBouncer served the old certificate until it expired, and
 *       then every {@code verify-full} client of {@code NAME-pooler} failed;
 *   <li>a change of {@code spec.pgbouncer} ({@code poolMode}, {@code maxClientConn}) or of {@code
 *       max_connections} reached the {@code NAME-pgbouncer} ConfigMap and the pods' files, but no
 *       running PgBouncer.
 * </ul>
 *
 * Each round, for each running member: with TLS, the certificate its PgBouncer serves on port
 * {@value PgBouncerConfig#PORT} compared with the serving Secret's; and, once per change of {@link
 * PgBouncerConfig#specSettings}, its {@code SHOW CONFIG} compared with them. Where either differs,
 * {@code RELOAD}, both through the admin console as PgBouncer's auth user (an {@code admin_users}
 * entry of pgbouncer.ini; {@link PgBouncerConsole}: SCRAM, with TLS trusting the cluster's CA as
 * every connection of the operator to a member does, {@link ClusterTrust}). A PgBouncer whose files
 * are not updated yet (the kubelet takes up to a minute or so) is asked again after {@link
 * StaleCertificates#REASK_AFTER}. One that serves a certificate the cluster's CA does not verify
 * (the CA was replaced) cannot be reached: restarting the member is the way then, as for PostgreSQL
 * ({@code TlsReload}).
 */
public final class PoolerReload {

  private static final Logger LOG = LoggerFactory.getLogger(PoolerReload.class);

  /** How long the console gets to answer (connecting, and each read). */
  static final Duration CONSOLE_TIMEOUT = Duration.ofSeconds(5);

  /** The cluster's TLS as PgBouncer serves it: the certificate wanted, and the CA (PEM). */
  public record Tls(String certPem, String caPem) {}

  /**
   * Runs a command on the admin console of the PgBouncer at a pod IP as the auth user with {@code
   * password}, over TLS trusting {@code caPem}, or in plain text when it is null.
   */
  interface Console {
    PgBouncerConsole.Result run(String podIp, String password, String caPem, String command)
        throws IOException;
  }

  private final Console console;
  private final Function<String, Optional<X509Certificate>> served;
  private final StaleCertificates asked = new StaleCertificates();

  /** Per member: the wanted settings its PgBouncer was last seen running. */
  private final Map<String, Map<String, String>> verified = new ConcurrentHashMap<>();

  public PoolerReload() {
    this(
        (ip, password, ca, command) ->
            PgBouncerConsole.run(
                ip,
                PgBouncerConfig.PORT,
                ca == null ? null : ClusterTrust.context(ca),
                PgBouncerConfig.AUTH_USER,
                password,
                command,
                CONSOLE_TIMEOUT),
        ip -> ServedCertificate.of(ip, PgBouncerConfig.PORT));
  }

  /**
   * @param console how commands reach a PgBouncer
   * @param served the certificate the PgBouncer at a pod IP serves now (empty when it does not
   *     answer with TLS)
   */
  PoolerReload(Console console, Function<String, Optional<X509Certificate>> served) {
    this.console = console;
    this.served = served;
  }

  /**
   * Asks every running member's PgBouncer that serves another certificate than {@code tls} wants or
   * runs other {@code settings} to reload (at most once per {@link StaleCertificates#REASK_AFTER}
   * per member and wanted state). Returns true while some PgBouncer is still behind (the caller
   * looks again soon). {@code tls} is null when the cluster has no TLS; a PgBouncer the console
   * cannot reach (starting, or its member is) is looked at again next round; {@code password} null
   * (the auth Secret not read yet) only compares certificates.
   */
  public boolean reloadStale(
      List<Member> members, Map<String, String> settings, Tls tls, String password, Instant now) {
    X509Certificate wanted = tls == null ? null : CertificateAuthority.certificate(tls.certPem());
    String caPem = tls == null ? null : tls.caPem();
    Set<Member> stale = new LinkedHashSet<>();
    if (wanted != null) {
      stale.addAll(StaleCertificates.of(members, wanted, served));
    }
    if (password != null) {
      for (Member member : members) {
        if (member.podIp() != null && !member.terminating() && !runs(member, settings)) {
          Map<String, String> current = showConfig(member, password, caPem);
          if (current == null) {
            continue;
          }
          if (current.entrySet().containsAll(settings.entrySet())) {
            verified.put(key(member), Map.copyOf(settings));
          } else {
            stale.add(member);
          }
        }
      }
    }
    String what = (wanted == null ? "" : wanted.getSerialNumber().toString(16)) + settings;
    for (Member member : stale) {
      if (password == null || !asked.due(member, what, now)) {
        continue;
      }
      try {
        console.run(member.podIp(), password, caPem, "RELOAD");
        LOG.info(
            "PgBouncer of {} serves an older certificate or configuration: sent RELOAD",
            member.name());
      } catch (IOException | RuntimeException e) {
        LOG.info(
            "RELOAD of the PgBouncer of {} not possible yet: {}", member.name(), e.getMessage());
      }
    }
    return !stale.isEmpty();
  }

  /** Whether {@code member}'s PgBouncer was seen running {@code settings}. */
  private boolean runs(Member member, Map<String, String> settings) {
    return settings.equals(verified.get(key(member)));
  }

  /** {@code SHOW CONFIG} of the member's PgBouncer as name to value; null when unreachable. */
  private Map<String, String> showConfig(Member member, String password, String caPem) {
    try {
      Map<String, String> config = new LinkedHashMap<>();
      for (List<String> row : console.run(member.podIp(), password, caPem, "SHOW CONFIG").rows()) {
        if (row.size() >= 2) {
          config.put(row.get(0), row.get(1));
        }
      }
      return config;
    } catch (IOException | RuntimeException e) {
      LOG.debug("SHOW CONFIG of the PgBouncer of {} failed: {}", member.name(), e.toString());
      return null;
    }
  }

  private static String key(Member member) {
    return member.podIp() + "/" + member.name();
  }
}
