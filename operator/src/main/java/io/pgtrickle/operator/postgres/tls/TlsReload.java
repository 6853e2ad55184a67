package io.pgtrickle.operator.postgres.tls;

import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.patroni.PatroniException;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.spec.ClusterServices;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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

  /** How long a member gets to serve the new certificate before it is asked again. */
  static final Duration REASK_AFTER = Duration.ofSeconds(20);

  private static final Map<String, Instant> ASKED = new ConcurrentHashMap<>();

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
    boolean stale = false;
    for (Member member : members) {
      if (member.podIp() == null || member.terminating()) {
        continue;
      }
      Optional<X509Certificate> served =
          ServedCertificate.of(member.podIp(), ClusterServices.POSTGRES_PORT);
      if (served.isEmpty() || same(served.get(), wanted)) {
        continue;
      }
      stale = true;
      // One request per member and certificate at a time: Patroni reloads asynchronously, and a
      // burst of reloads (a round every second or two while the member catches up) once left a
      // member's REST API refusing connections on a loaded machine.
      String key = member.podIp() + "/" + member.name() + "/" + wanted.getSerialNumber();
      Instant last = ASKED.get(key);
      Instant now = Instant.now();
      if (last != null && Duration.between(last, now).compareTo(REASK_AFTER) < 0) {
        continue;
      }
      ASKED.put(key, now);
      try {
        patroni.reload(
            new PatroniClient.Target(
                member.podIp(),
                ClusterServices.PATRONI_PORT,
                login.username(),
                login.password(),
                login.previousPassword(),
                login.tls()));
        LOG.info("{} serves an older certificate: asked Patroni to reload", member.name());
      } catch (PatroniException e) {
        LOG.info("reload of {} not possible yet: {}", member.name(), e.getMessage());
      }
    }
    return stale;
  }

  private static boolean same(X509Certificate a, X509Certificate b) {
    try {
      return Arrays.equals(a.getEncoded(), b.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      return false;
    }
  }
}
