package io.pgtrickle.operator.postgres.sidecars;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.postgres.tls.StaleCertificates;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PoolerReloadTest {

  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
  private static final CertificateAuthority.Issued CA =
      CertificateAuthority.newCa("test CA", NOW, Duration.ofDays(30));
  private static final String CA_PEM = CA.certificatePem();
  private static final String OLD = issue();
  private static final String RENEWED = issue();

  private final Map<String, X509Certificate> served = new HashMap<>();
  private final List<String> reloads = new ArrayList<>();
  private final PoolerReload reload =
      new PoolerReload(
          (ip, password, ca) -> reloads.add(ip + " " + password + " " + (ca == CA_PEM)),
          ip -> Optional.ofNullable(served.get(ip)));

  private static String issue() {
    return CertificateAuthority.issueServer(CA, List.of("c-pooler"), NOW, Duration.ofDays(10))
        .certificatePem();
  }

  private static Member member(String name, String ip, boolean terminating) {
    return new Member(name, 0, true, terminating, false, null, null, ip);
  }

  @Test
  void aPgBouncerServingTheOldCertificateIsAskedToReloadOnlyIt() {
    served.put("10.0.0.1", CertificateAuthority.certificate(OLD));
    served.put("10.0.0.2", CertificateAuthority.certificate(RENEWED));
    List<Member> members =
        List.of(member("c-0", "10.0.0.1", false), member("c-1", "10.0.0.2", false));

    assertThat(reload.reloadStale(members, RENEWED, CA_PEM, "secret", NOW)).isTrue();
    assertThat(reloads).containsExactly("10.0.0.1 secret true");

    // Reloaded: nothing is stale, nothing is sent.
    served.put("10.0.0.1", CertificateAuthority.certificate(RENEWED));
    assertThat(reload.reloadStale(members, RENEWED, CA_PEM, "secret", NOW.plusSeconds(1)))
        .isFalse();
    assertThat(reloads).hasSize(1);
  }

  @Test
  void aPgBouncerStillOnTheOldFilesIsAskedAgainOnlyAfterAWhile() {
    served.put("10.0.0.1", CertificateAuthority.certificate(OLD));
    List<Member> members = List.of(member("c-0", "10.0.0.1", false));

    reload.reloadStale(members, RENEWED, CA_PEM, "secret", NOW);
    assertThat(reload.reloadStale(members, RENEWED, CA_PEM, "secret", NOW.plusSeconds(5))).isTrue();
    assertThat(reloads).hasSize(1);
    assertThat(
            reload.reloadStale(
                members,
                RENEWED,
                CA_PEM,
                "secret",
                NOW.plus(StaleCertificates.REASK_AFTER).plusSeconds(1)))
        .isTrue();
    assertThat(reloads).hasSize(2);
  }

  @Test
  void silentTerminatingOrUnaddressedMembersAndAMissingPasswordSendNothing() {
    served.put("10.0.0.3", CertificateAuthority.certificate(OLD));
    List<Member> members =
        List.of(
            member("c-0", "10.0.0.1", false), // its PgBouncer does not answer with TLS
            member("c-1", null, false),
            member("c-2", "10.0.0.3", true));
    assertThat(reload.reloadStale(members, RENEWED, CA_PEM, "secret", NOW)).isFalse();

    List<Member> stale = List.of(member("c-0", "10.0.0.3", false));
    // The auth Secret or the CA not read yet: stale, reported, nothing sent.
    assertThat(reload.reloadStale(stale, RENEWED, CA_PEM, null, NOW)).isTrue();
    assertThat(reload.reloadStale(stale, RENEWED, null, "secret", NOW)).isTrue();
    assertThat(reloads).isEmpty();
    // Without a certificate to serve (TLS not set up yet) there is nothing to compare.
    assertThat(reload.reloadStale(stale, null, CA_PEM, "secret", NOW)).isFalse();
  }

  @Test
  void aRefusedReloadIsTriedAgainLater() {
    List<String> tries = new ArrayList<>();
    PoolerReload refusing =
        new PoolerReload(
            (ip, password, ca) -> {
              tries.add(ip);
              throw new IOException("connection refused");
            },
            ip -> Optional.of(CertificateAuthority.certificate(OLD)));
    List<Member> members = List.of(member("c-0", "10.0.0.1", false));

    assertThat(refusing.reloadStale(members, RENEWED, CA_PEM, "secret", NOW)).isTrue();
    assertThat(refusing.reloadStale(members, RENEWED, CA_PEM, "secret", NOW.plusSeconds(30)))
        .isTrue();
    assertThat(tries).hasSize(2);
  }
}
