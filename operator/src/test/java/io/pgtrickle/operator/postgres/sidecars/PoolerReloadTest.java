package io.pgtrickle.operator.postgres.sidecars;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.postgres.tls.StaleCertificates;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * PoolerReload against stand-in PgBouncers: each serves a certificate and runs settings, answers
 * {@code SHOW CONFIG} with them, and takes {@code RELOAD} as its files are then: the wanted ones
 * once "the kubelet updated them".
 */
class PoolerReloadTest {

  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
  private static final CertificateAuthority.Issued CA =
      CertificateAuthority.newCa("test CA", NOW, Duration.ofDays(30));
  private static final String CA_PEM = CA.certificatePem();
  private static final String OLD = issue();
  private static final String RENEWED = issue();
  private static final Map<String, String> SETTINGS =
      Map.of("pool_mode", "transaction", "max_client_conn", "1000");

  /** One PgBouncer: what it serves and runs now, and what its files hold. */
  private static final class Bouncer {
    String cert;
    Map<String, String> settings;
    String fileCert;
    Map<String, String> fileSettings;

    Bouncer(String cert, Map<String, String> settings) {
      this.cert = this.fileCert = cert;
      this.settings = this.fileSettings = settings;
    }
  }

  private final Map<String, Bouncer> bouncers = new HashMap<>();
  private final List<String> commands = new ArrayList<>();
  private final PoolerReload reload =
      new PoolerReload(
          (ip, password, ca, command) -> {
            Bouncer b = bouncers.get(ip);
            if (b == null) {
              throw new IOException("connection refused");
            }
            commands.add(
                ip + " " + command + " " + password + " " + (ca == null ? "plain" : "tls"));
            List<List<String>> rows = new ArrayList<>();
            if (command.equals("SHOW CONFIG")) {
              b.settings.forEach((k, v) -> rows.add(List.of(k, v, v, "yes")));
              rows.add(List.of("listen_port", "6432", "6432", "no"));
            } else if (command.equals("RELOAD")) {
              b.cert = b.fileCert;
              b.settings = b.fileSettings;
            }
            return new PgBouncerConsole.Result(command, rows);
          },
          ip ->
              Optional.ofNullable(bouncers.get(ip))
                  .map(b -> b.cert)
                  .map(CertificateAuthority::certificate));

  private static String issue() {
    return CertificateAuthority.issueServer(CA, List.of("c-pooler"), NOW, Duration.ofDays(10))
        .certificatePem();
  }

  private static Member member(String name, String ip) {
    return new Member(name, 0, true, false, false, null, null, ip);
  }

  private static final PoolerReload.Tls TLS = new PoolerReload.Tls(RENEWED, CA_PEM);

  @Test
  void aPgBouncerServingTheOldCertificateIsReloadedOnlyItOverTls() {
    bouncers.put("10.0.0.1", new Bouncer(OLD, SETTINGS));
    bouncers.get("10.0.0.1").fileCert = RENEWED;
    bouncers.put("10.0.0.2", new Bouncer(RENEWED, SETTINGS));
    List<Member> members = List.of(member("c-0", "10.0.0.1"), member("c-1", "10.0.0.2"));

    assertThat(reload.reloadStale(members, SETTINGS, TLS, "secret", NOW)).isTrue();
    assertThat(commands)
        .containsExactly(
            "10.0.0.1 SHOW CONFIG secret tls",
            "10.0.0.2 SHOW CONFIG secret tls",
            "10.0.0.1 RELOAD secret tls");

    // Reloaded: nothing is behind, and the settings, seen once, are not asked for again.
    commands.clear();
    assertThat(reload.reloadStale(members, SETTINGS, TLS, "secret", NOW.plusSeconds(1))).isFalse();
    assertThat(commands).isEmpty();
  }

  @Test
  void changedSettingsAreReloadedOnceTheFilesHaveThemAskingAgainOnlyAfterAWhile() {
    bouncers.put("10.0.0.1", new Bouncer(null, SETTINGS));
    List<Member> members = List.of(member("c-0", "10.0.0.1"));
    assertThat(reload.reloadStale(members, SETTINGS, null, "secret", NOW)).isFalse();

    // spec.pgbouncer.maxClientConn changed; the pod's file follows later.
    Map<String, String> wanted = Map.of("pool_mode", "transaction", "max_client_conn", "600");
    commands.clear();
    assertThat(reload.reloadStale(members, wanted, null, "secret", NOW)).isTrue();
    assertThat(commands).contains("10.0.0.1 RELOAD secret plain");
    assertThat(reload.reloadStale(members, wanted, null, "secret", NOW.plusSeconds(5))).isTrue();
    assertThat(commands.stream().filter(c -> c.contains("RELOAD"))).hasSize(1);

    bouncers.get("10.0.0.1").fileSettings = wanted;
    assertThat(
            reload.reloadStale(
                members, wanted, null, "secret", NOW.plus(StaleCertificates.REASK_AFTER)))
        .isTrue();
    assertThat(commands.stream().filter(c -> c.contains("RELOAD"))).hasSize(2);
    assertThat(bouncers.get("10.0.0.1").settings).isEqualTo(wanted);
    assertThat(reload.reloadStale(members, wanted, null, "secret", NOW.plusSeconds(30))).isFalse();
  }

  @Test
  void unreachableTerminatingOrUnaddressedMembersAndAMissingPasswordSendNothing() {
    bouncers.put("10.0.0.3", new Bouncer(OLD, SETTINGS));
    List<Member> members =
        List.of(
            member("c-0", "10.0.0.1"), // its PgBouncer does not answer
            member("c-1", null),
            new Member("c-2", 2, true, true, false, null, null, "10.0.0.3"));
    assertThat(reload.reloadStale(members, SETTINGS, TLS, "secret", NOW)).isFalse();
    assertThat(commands).isEmpty();

    // The auth Secret not read yet: an old certificate is seen and reported, nothing is sent.
    List<Member> stale = List.of(member("c-0", "10.0.0.3"));
    assertThat(reload.reloadStale(stale, SETTINGS, TLS, null, NOW)).isTrue();
    assertThat(commands).isEmpty();
  }

  @Test
  void aRefusedReloadIsTriedAgainLater() {
    List<String> tries = new ArrayList<>();
    PoolerReload refusing =
        new PoolerReload(
            (ip, password, ca, command) -> {
              tries.add(command);
              throw new IOException("connection refused");
            },
            ip -> Optional.of(CertificateAuthority.certificate(OLD)));
    List<Member> members = List.of(member("c-0", "10.0.0.1"));

    assertThat(refusing.reloadStale(members, SETTINGS, TLS, "secret", NOW)).isTrue();
    assertThat(refusing.reloadStale(members, SETTINGS, TLS, "secret", NOW.plusSeconds(30)))
        .isTrue();
    assertThat(tries).containsExactly("SHOW CONFIG", "RELOAD", "SHOW CONFIG", "RELOAD");
  }
}
