package io.pgtrickle.operator.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A parameter that PostgreSQL applies only at a restart ({@code max_connections}): before, {@code
 * spec.postgresqlParams} reached Patroni, every member reported {@code pending_restart}, and the
 * old value stayed while the cluster said it was stable. Now each member's PostgreSQL is restarted
 * in place, replicas first when raising, the primary first when lowering (a replica cannot run
 * below the primary's value), with no failover.
 */
class PendingRestartIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static HaCluster ha;

  @BeforeAll
  static void start() {
    ha =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "pending",
            HaCluster.testedMajor(),
            false,
            2,
            Map.of());
  }

  @AfterAll
  static void stop() {
    if (ha != null) {
      ha.close();
    }
  }

  @Test
  void parametersThatNeedARestartAreAppliedOnEveryMemberInPlace() throws Exception {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    awaitTemplateRolledOut();
    String primary = ha.primaryPod();

    params("150");
    await("the status says members wait for a restart")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> "PendingRestart".equals(phaseReason()));
    awaitEveryMemberRuns("150");
    await("running again once every member runs the new value")
        .atMost(Duration.ofSeconds(60))
        .until(() -> "ClusterReady".equals(phaseReason()));
    params("120");
    awaitEveryMemberRuns("120");

    assertThat(ha.primaryPod()).as("restarted in place: no failover").isEqualTo(primary);
    List<String> restarts = ha.events(Set.of("PendingRestart"));
    assertThat(restarts)
        .anySatisfy(e -> assertThat(e).contains("max_connections 100 → 150"))
        .anySatisfy(e -> assertThat(e).contains("max_connections 150 → 120"));
    ha.awaitReplicationHealthy(Duration.ofSeconds(60));
  }

  /**
   * A parameter taken out of the spec goes back to its default on every member: Patroni merges what
   * it is sent, so before, the removed parameter stayed in force.
   */
  @Test
  void aParameterTakenOutOfTheSpecIsRemoved() throws Exception {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    awaitTemplateRolledOut();
    patch("{\"spec\":{\"postgresqlParams\":{\"statement_timeout\":\"5s\"}}}");
    awaitEveryMember("statement_timeout", "5s");
    patch("{\"spec\":{\"postgresqlParams\":{\"statement_timeout\":null}}}");
    awaitEveryMember("statement_timeout", "0");
  }

  /**
   * A change made behind the operator's back, in Patroni's DCS ({@code patronictl edit-config}
   * writes the same annotation): a parameter the spec does not set and a changed {@code ttl} are
   * put back to the spec's, with a Warning Event naming them. Before, the operator compared only
   * the hash it had recorded, so such a change stayed until the spec changed.
   */
  @Test
  void aConfigurationChangedInPatronisDcsIsPutBack() throws Exception {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    awaitTemplateRolledOut();
    var configMap =
        NAMESPACE.client().configMaps().inNamespace(NAMESPACE.name()).withName("pending-config");
    Map<String, Object> before = dcsConfig(configMap.get());
    assertThat(before).containsKey("ttl");
    Edits.edit(
        configMap,
        cm -> {
          Map<String, Object> changed = dcsConfig(cm);
          changed.put("ttl", ((Number) changed.get("ttl")).intValue() + 7);
          @SuppressWarnings("unchecked")
          Map<String, Object> parameters =
              (Map<String, Object>)
                  ((Map<String, Object>) changed.get("postgresql")).get("parameters");
          parameters.put("statement_timeout", "4s");
          cm.getMetadata()
              .getAnnotations()
              .put("config", NAMESPACE.client().getKubernetesSerialization().asJson(changed));
          return cm;
        });
    await("the spec's configuration back in Patroni's DCS")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> assertThat(dcsConfig(configMap.get())).isEqualTo(before));
    assertThat(ha.events(Set.of("DynamicConfigurationRestored")))
        .anySatisfy(
            e ->
                assertThat(e)
                    .contains("ttl")
                    .contains("postgresql.parameters.statement_timeout")
                    .contains("spec.postgresqlParams"));
    awaitEveryMember("statement_timeout", "0");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> dcsConfig(io.fabric8.kubernetes.api.model.ConfigMap cm) {
    return NAMESPACE
        .client()
        .getKubernetesSerialization()
        .unmarshal(cm.getMetadata().getAnnotations().get("config"), Map.class);
  }

  private static void patch(String mergePatch) {
    NAMESPACE
        .client()
        .resources(PostgresCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(ha.name())
        .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch);
  }

  private static void awaitEveryMember(String parameter, String value) {
    await("every member runs " + parameter + " " + value)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              for (String pod : List.of("pending-0", "pending-1")) {
                try (Connection c = ha.connect(ha.podIp(pod));
                    ResultSet rs = c.createStatement().executeQuery("SHOW " + parameter)) {
                  rs.next();
                  assertThat(rs.getString(1)).as(pod).isEqualTo(value);
                }
              }
            });
  }

  /**
   * Every pod runs the StatefulSet's template and is ready: a new cluster may still be rolling out
   * its first template changes (pods deleted, a switchover), which would blur what is measured.
   */
  private static void awaitTemplateRolledOut() {
    await("the first template rolled out")
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              var sts =
                  NAMESPACE
                      .client()
                      .apps()
                      .statefulSets()
                      .inNamespace(NAMESPACE.name())
                      .withName(ha.name())
                      .get();
              String hash =
                  sts.getSpec()
                      .getTemplate()
                      .getMetadata()
                      .getAnnotations()
                      .get(ClusterNames.RESTART_HASH_ANNOTATION);
              var pods =
                  NAMESPACE
                      .client()
                      .pods()
                      .inNamespace(NAMESPACE.name())
                      .withLabels(ClusterNames.podSelector(ha.cluster()))
                      .list()
                      .getItems();
              return pods.size() == 2
                  && pods.stream()
                      .allMatch(
                          p ->
                              hash.equals(
                                      p.getMetadata()
                                          .getAnnotations()
                                          .get(ClusterNames.RESTART_HASH_ANNOTATION))
                                  && Readiness.isPodReady(p));
            });
    ha.awaitReplicationHealthy(Duration.ofSeconds(60));
  }

  private static String phaseReason() {
    PostgresCluster c =
        NAMESPACE
            .client()
            .resources(PostgresCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName(ha.name())
            .get();
    return c.getStatus() == null ? null : c.getStatus().getPhaseReason();
  }

  private static void params(String maxConnections) {
    NAMESPACE
        .client()
        .resources(PostgresCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(ha.name())
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"postgresqlParams\":{\"max_connections\":\"" + maxConnections + "\"}}}");
  }

  private static void awaitEveryMemberRuns(String maxConnections) {
    await("every member runs max_connections " + maxConnections + ", nothing pending")
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              for (String pod : List.of("pending-0", "pending-1")) {
                assertThat(setting(ha.podIp(pod))).as(pod).isEqualTo(maxConnections + " false");
              }
            });
  }

  private static String setting(String ip) throws Exception {
    try (Connection c = ha.connect(ip);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "select current_setting('max_connections'),"
                        + " (select bool_or(pending_restart) from pg_settings)")) {
      rs.next();
      return rs.getString(1) + " " + rs.getBoolean(2);
    }
  }
}
