package io.pgtrickle.operator.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A two-member synchronous cluster with real Patroni and PostgreSQL, and what its users run into
 * (issue #18): passwords edited in the Secrets (case 4), the last standby lost (case 2), a broken
 * pod template fixed by fixing the spec (case 3).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SynchronousPairIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final String NAME = "pair";
  private static final Duration ROLLED = Duration.ofMinutes(4);

  private static HaCluster ha;

  @BeforeAll
  static void start() {
    ha =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            NAME,
            HaCluster.testedMajor(),
            true,
            2,
            Map.of());
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() {
    if (ha != null) {
      ha.close();
    }
  }

  /**
   * {@code kubectl patch secret pair-credentials} with a new password: the role has it within a
   * reconcile and the old one stops working; Patroni gets it as the members restart, and the
   * cluster runs on (each restarted Patroni logs in to its PostgreSQL with it).
   */
  @Test
  @Order(1)
  void aSuperuserPasswordEditedInTheSecretIsApplied() throws Exception {
    String old = ha.password();
    String changed = "Su-" + UUID.randomUUID();
    patchSecret(NAME + "-credentials", Map.of("password", changed));

    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(canLogIn("postgres", changed)).isTrue());
    assertThat(canLogIn("postgres", old)).as("the old password stops working").isFalse();
    assertThat(ha.events(Set.of("CredentialsChanged")))
        .anySatisfy(e -> assertThat(e).contains("the passwords of postgres"));

    awaitEveryMemberRestartedOnto(1);
    ha.awaitReplicationHealthy(ROLLED);
    assertThat(ha.tryOnPrimary("create table if not exists after_rotation(i int)")).isTrue();
  }

  /**
   * The replication Secret: the replication password (streaming replicas log in with it) and
   * Patroni's REST API password (the operator's switchover of the primary during the restarts still
   * reaches the old primary with the old one).
   */
  @Test
  @Order(2)
  void theReplicationAndRestApiPasswordsEditedInTheSecretAreApplied() throws Exception {
    String old = secretValue(NAME + "-replication", "password");
    String changed = "Re-" + UUID.randomUUID();
    patchSecret(
        NAME + "-replication",
        Map.of("password", changed, "restapi-password", "Api-" + UUID.randomUUID()));

    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(canLogIn("replicator", changed)).isTrue());
    assertThat(canLogIn("replicator", old)).isFalse();

    awaitEveryMemberRestartedOnto(2);
    ha.awaitReplicationHealthy(ROLLED);
    assertThat(ha.events(Set.of("SwitchoverFailed"))).isEmpty();
    assertThat(ha.events(Set.of("Switchover"))).isNotEmpty();
  }

  /**
   * Strict synchronous replication without a standby: every commit waits. The status says so
   * (Degraded, SynchronousStandbyMissing, "writes ... wait for a standby") with an Event, and the
   * waiting write completes once the standby is back.
   */
  @Test
  @Order(3)
  void losingTheLastStandbyIsReportedAndWritesWaitForIt() throws Exception {
    ha.awaitReplicationHealthy(ROLLED);
    ha.tryOnPrimary("create table if not exists waits(i int)");
    String standby = ha.synchronousStandby();
    // Its first crash is restarted at once; the second waits out the kubelet's back-off (10 s).
    ha.pods().crash(standby);
    await().atMost(Duration.ofSeconds(60)).until(() -> ready(standby));
    Duration down = ha.pods().crash(standby);
    assertThat(down).isGreaterThanOrEqualTo(Duration.ofSeconds(10));

    CompletableFuture<Void> write =
        CompletableFuture.runAsync(
            () -> {
              try (Connection c = unboundedConnection()) {
                c.createStatement().execute("insert into waits values (1)");
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              PostgresCluster c = ha.cluster();
              assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Degraded);
              assertThat(c.getStatus().getPhaseReason()).isEqualTo("SynchronousStandbyMissing");
              assertThat(c.getStatus().getConditions())
                  .anySatisfy(
                      cond -> {
                        assertThat(cond.getType()).isEqualTo("Degraded");
                        assertThat(cond.getStatus()).isEqualTo("True");
                        assertThat(cond.getMessage()).contains("wait for a standby");
                      });
            });
    assertThat(write).as("the write waits for the standby").isNotDone();
    assertThat(ha.events(Set.of("SynchronousStandbyMissing"))).isNotEmpty();

    write.get(60, TimeUnit.SECONDS);
    ha.awaitRunning(Duration.ofSeconds(60));
  }

  /**
   * A template that cannot work (an image whose PostgreSQL cannot read this data directory, as a
   * major upgrade without pg_upgrade): it stops at the first replica. Fixing the spec heals the
   * cluster without anyone deleting a pod; the primary is never touched.
   */
  @Test
  @Order(4)
  void aBrokenTemplateIsHealedByFixingTheSpec() {
    ha.awaitReplicationHealthy(ROLLED);
    String primary = ha.primaryPod();
    String primaryUid = ha.podUid(primary);
    String replica = primary.equals(NAME + "-0") ? NAME + "-1" : NAME + "-0";
    String replicaUid = ha.podUid(replica);
    int wrongMajor = HaCluster.testedMajor() == 18 ? 17 : HaCluster.testedMajor() + 1;
    patchCluster("{\"spec\":{\"image\":\"ghcr.io/pg-trickle/postgres:" + wrongMajor + "\"}}");

    await().atMost(Duration.ofSeconds(60)).until(() -> replaced(replica, replicaUid));
    String brokenUid = uid(replica);
    // It never becomes ready on that template, and the rollout goes no further.
    await()
        .during(Duration.ofSeconds(20))
        .atMost(Duration.ofSeconds(25))
        .until(() -> !ready(replica) && primaryUid.equals(uid(primary)));

    patchCluster("{\"spec\":{\"image\":null}}");
    await().atMost(Duration.ofSeconds(60)).until(() -> replaced(replica, brokenUid));
    ha.awaitReplicationHealthy(ROLLED);
    assertThat(ha.podUid(primary)).as("the primary was never restarted").isEqualTo(primaryUid);
  }

  private void patchCluster(String mergePatch) {
    NAMESPACE
        .client()
        .resources(PostgresCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch);
  }

  /** As {@code kubectl patch secret NAME --type merge -p '{"stringData": {...}}'}. */
  private void patchSecret(String secret, Map<String, String> values) {
    StringBuilder patch = new StringBuilder("{\"stringData\":{");
    values.forEach((k, v) -> patch.append('"').append(k).append("\":\"").append(v).append("\","));
    patch.setLength(patch.length() - 1);
    patch.append("}}");
    NAMESPACE
        .client()
        .secrets()
        .inNamespace(NAMESPACE.name())
        .withName(secret)
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
  }

  private String secretValue(String secret, String key) {
    return new String(
        Base64.getDecoder()
            .decode(
                NAMESPACE
                    .client()
                    .secrets()
                    .inNamespace(NAMESPACE.name())
                    .withName(secret)
                    .get()
                    .getData()
                    .get(key)),
        StandardCharsets.UTF_8);
  }

  /** Whether {@code user} can log in to the primary with {@code password}. */
  private boolean canLogIn(String user, String password) throws SQLException {
    String ip = ha.primaryIp().orElseThrow(() -> new IllegalStateException("no primary"));
    try (Connection c = ha.connect(ip, user, password)) {
      return c.isValid(2);
    } catch (SQLException e) {
      if ("28P01".equals(e.getSQLState())) {
        return false;
      }
      throw e;
    }
  }

  private void awaitEveryMemberRestartedOnto(int generation) {
    await()
        .atMost(ROLLED)
        .until(
            () ->
                ha.cluster().getStatus().getPhase() == ClusterPhase.Running
                    && NAMESPACE
                            .client()
                            .pods()
                            .inNamespace(NAMESPACE.name())
                            .withLabel("postgres.example.com/cluster", NAME)
                            .list()
                            .getItems()
                            .stream()
                            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                            .filter(
                                p ->
                                    String.valueOf(generation)
                                        .equals(
                                            p.getMetadata()
                                                .getAnnotations()
                                                .get(
                                                    "postgres.example.com/credentials-generation")))
                            .count()
                        == 2);
  }

  private Connection unboundedConnection() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("password", ha.password());
    props.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(
        "jdbc:postgresql://" + ha.primaryIp().orElseThrow() + ":5432/postgres", props);
  }

  /** The pod's UID, or null while it does not exist. */
  private String uid(String name) {
    Pod pod = pod(name);
    return pod == null ? null : pod.getMetadata().getUid();
  }

  /** Whether a pod of that name exists again, with another UID than {@code uid}. */
  private boolean replaced(String name, String uid) {
    String now = uid(name);
    return now != null && !now.equals(uid);
  }

  private Pod pod(String name) {
    return NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(name).get();
  }

  private boolean ready(String name) {
    Pod pod = pod(name);
    return pod != null
        && pod.getMetadata().getDeletionTimestamp() == null
        && io.fabric8.kubernetes.client.readiness.Readiness.isPodReady(pod);
  }
}
