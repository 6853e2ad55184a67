package io.pgtrickle.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.testbed.OperatorProcess;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The packaged operator SIGKILLed while it reconciles several StreamTableClusters: a new operator
 * process brings every one to Running with exactly its children, each owned once, and the change
 * log created once (issue #14 section 4, as for PostgresCluster in OperatorRuntimeIT). Each one on
 * a database of its own: a database has one pipeline (DatabaseClaims).
 */
class StreamTableClusterOperatorKilledIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  @Test
  void operatorKilledMidReconcileConverges() throws Exception {
    KubernetesClient k = NAMESPACE.client();
    String ns = NAMESPACE.name();
    try (PostgresServer postgres =
        PostgresServer.start(PostgresServer.defaultBin(), "-c wal_level=logical")) {
      k.secrets()
          .inNamespace(ns)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("pg")
                  .endMetadata()
                  .withStringData(Map.of("username", "postgres", "password", "trust"))
                  .build())
          .create();
      Map<String, String> env = Map.of("WATCH_NAMESPACES", ns, "LEADER_ELECTION", "false");
      List<String> names = List.of("p0", "p1", "p2", "p3");
      try (Connection c = DriverManager.getConnection(postgres.jdbcUrl())) {
        for (String name : names) {
          c.createStatement().execute("CREATE DATABASE " + name);
        }
      }
      try (OperatorProcess first = OperatorProcess.start(NAMESPACE.testBed(), "stc-killed", env)) {
        for (String name : names) {
          String yaml =
              "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
                  + name
                  + "\n  namespace: "
                  + ns
                  + "\nspec:\n  postgresql: {host: 127.0.0.1, port: "
                  + postgres.port()
                  + ", database: "
                  + name
                  + ", secretRef: {name: pg}}\n  workers: {max: 2}\n";
          k.resource(k.getKubernetesSerialization().unmarshal(yaml, StreamTableCluster.class))
              .create();
        }
        // SIGKILL as soon as the first one has children: the others are mid-flight.
        await()
            .atMost(Duration.ofSeconds(90))
            .until(() -> k.apps().statefulSets().inNamespace(ns).withName("p0-cdc").get() != null);
        first.kill();
      }
      try (OperatorProcess second =
          OperatorProcess.start(NAMESPACE.testBed(), "stc-restarted", env)) {
        for (String name : names) {
          StreamTableCluster stc =
              await(name + " Running")
                  .atMost(Duration.ofSeconds(120))
                  .until(
                      () ->
                          k.resources(StreamTableCluster.class)
                              .inNamespace(ns)
                              .withName(name)
                              .get(),
                      s ->
                          s.getStatus() != null
                              && s.getStatus().getPhase() == StreamTableClusterPhase.Running);
          String uid = stc.getMetadata().getUid();
          List<HasMetadata> children = children(k, ns, name);
          assertThat(children).as(name + " children").hasSize(7);
          assertThat(children)
              .allSatisfy(
                  child ->
                      assertThat(child.getMetadata().getOwnerReferences())
                          .singleElement()
                          .satisfies(o -> assertThat(o.getUid()).isEqualTo(uid)));
        }
      }
      for (String name : names) {
        try (Connection c =
                DriverManager.getConnection(
                    postgres.jdbcUrl().replace("/postgres?", "/" + name + "?"));
            ResultSet rs =
                c.createStatement()
                    .executeQuery("SELECT name FROM pgtrickle_changelog.consumers")) {
          List<String> consumers = new ArrayList<>();
          while (rs.next()) {
            consumers.add(rs.getString(1));
          }
          assertThat(consumers).as(name).containsExactly("pgtrickle-worker");
        }
      }
    }
  }

  /** Every object labelled with the pipeline's name, of the kinds the operator creates. */
  private static List<HasMetadata> children(KubernetesClient k, String ns, String name) {
    String label = "trickle-labs.io/stream-table-cluster";
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(k.apps().statefulSets().inNamespace(ns).withLabel(label, name).list().getItems());
    all.addAll(k.apps().deployments().inNamespace(ns).withLabel(label, name).list().getItems());
    all.addAll(k.services().inNamespace(ns).withLabel(label, name).list().getItems());
    all.addAll(k.serviceAccounts().inNamespace(ns).withLabel(label, name).list().getItems());
    all.addAll(
        k.autoscaling()
            .v2()
            .horizontalPodAutoscalers()
            .inNamespace(ns)
            .withLabel(label, name)
            .list()
            .getItems());
    return all;
  }
}
