package io.pgtrickle.operator.postgres.tls;

import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.patroni.PatroniException;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.spec.ClusterServices;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotation without restarts: the kubelet updates a Secret volume's files in place (within a minute
 * or so), but PostgreSQL reads its certificate only at start and on reload. So each round compares
 * the certificate every running member serves with the one the Secret holds, and asks Patroni to
 * reload ({@code POST /reload}: {@code pg_reload_conf} and Patroni's own REST certificate) where
 * they differ. A member whose files are not updated yet keeps serving the old one and is asked
 * again next round.
 */
public final class TlsReload {

  private static final Logger LOG = LoggerFactory.getLogger(TlsReload.class);

  /** The asks of this kind of reload (one at a time per member and certificate). */
  private static final StaleCertificates ASKED = new StaleCertificates();

  private TlsReload() {}

  /**
   * Returns true while some member still serves another certificate than {@code wantedPem} (the
   * caller looks again soon). Members that serve no TLS at all (still on a template from before TLS
   * was enabled) are left to the rolling restart.
   */
  public static boolean reloadStale(
      List<Member> members, String wantedPem, PatroniClient patroni, PatroniClient.Login login) {
    if (wantedPem == null || login == null) {
      return false;
    }
    X509Certificate wanted = CertificateAuthority.certificate(wantedPem);
    List<Member> stale =
        StaleCertificates.of(
            members, wanted, ip -> ServedCertificate.of(ip, ClusterServices.POSTGRES_PORT));
    for (Member member : stale) {
      // One request per member and certificate at a time: Patroni reloads asynchronously, and a
      // burst of reloads (a round every second or two while the member catches up) once left a
      // member's REST API refusing connections on a loaded machine.
      if (!ASKED.due(member, wanted.getSerialNumber().toString(16), Instant.now())) {
        continue;
      }
      PatroniClient.Scheme scheme = login.scheme(member.name());
      if (scheme.refusal() != null) {
        LOG.info("reload of {} not possible: {}", member.name(), scheme.refusal());
        continue;
      }
      try {
        patroni.reload(
            new PatroniClient.Target(
                member.podIp(),
                ClusterServices.PATRONI_PORT,
                login.username(),
                login.password(),
                login.previousPassword(),
                scheme.tls()));
        LOG.info("{} serves an older certificate: asked Patroni to reload", member.name());
      } catch (PatroniException e) {
        LOG.info("reload of {} not possible yet: {}", member.name(), e.getMessage());
      }
    }
    return !stale.isEmpty();
  }
}
