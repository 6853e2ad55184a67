package io.pgtrickle.operator.postgres.tls;

import io.pgtrickle.operator.postgres.rollout.Member;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Which running members serve another certificate than the one their Secret holds, and when one of
 * them may be asked to reload again: shared by the reloads of PostgreSQL ({@link TlsReload}) and of
 * PgBouncer ({@code PoolerReload}). One instance remembers the asks of one kind of reload.
 */
public final class StaleCertificates {

  /** How long a member gets to serve the new certificate before it is asked again. */
  public static final Duration REASK_AFTER = Duration.ofSeconds(20);

  private final Map<String, Instant> asked = new ConcurrentHashMap<>();

  /**
   * The members with a pod IP, not terminating, whose server serves another certificate than {@code
   * wanted}; {@code served} gives the certificate served at a pod IP, empty when none answers with
   * TLS there (such a member is left out: starting, or not on TLS yet).
   */
  public static List<Member> of(
      List<Member> members,
      X509Certificate wanted,
      Function<String, Optional<X509Certificate>> served) {
    return members.stream()
        .filter(m -> m.podIp() != null && !m.terminating())
        .filter(m -> served.apply(m.podIp()).map(current -> !same(current, wanted)).orElse(false))
        .toList();
  }

  /**
   * Whether {@code member} is to be asked to reload for {@code what} (the wanted certificate's
   * serial, or whatever else identifies the state it is to reach) at {@code now}: not asked for it
   * within {@link #REASK_AFTER}. A true answer counts as the ask.
   */
  public boolean due(Member member, String what, Instant now) {
    String key = member.podIp() + "/" + member.name() + "/" + what;
    Instant last = asked.get(key);
    if (last != null && Duration.between(last, now).compareTo(REASK_AFTER) < 0) {
      return false;
    }
    asked.put(key, now);
    return true;
  }

  static boolean same(X509Certificate a, X509Certificate b) {
    try {
      return Arrays.equals(a.getEncoded(), b.getEncoded());
    } catch (CertificateEncodingException e) {
      return false;
    }
  }
}
