package io.pgtrickle.operator.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.testbed.PodPlayerMain;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The demo's pod player as {@code make demo} runs it: {@code PodPlayerMain} without arguments, in a
 * JVM of its own. It plays every namespace, as a real cluster's nodes would (issue #18 case 7: it
 * played only {@code default}, so a cluster elsewhere never got pods), but not those of tests; and
 * when its JVM is killed outright, no Patroni or PostgreSQL process it started survives it (case 8:
 * they kept running, holding the pod addresses the next run's pods got).
 */
class PodPlayerIT {

  /** This class's own namespace: labelled as a test's, so the pod player must leave it alone. */
  @RegisterExtension static final TestNamespace OWN = new TestNamespace();

  @Test
  void playsEveryNamespaceAndItsPodsDieWithIt() throws Exception {
    TestBed testBed = OWN.testBed();
    String namespace =
        "elsewhere-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    testBed
        .client()
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(namespace)
                .endMetadata()
                .build())
        .create();
    Path log = Files.createTempFile("pod-player", ".log");
    Process player =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                PodPlayerMain.class.getName())
            .directory(testBed.repositoryRootPath().toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try (OperatorRunner operator = OperatorRunner.start(testBed, namespace)) {
      String yaml =
          "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: far\n"
              + "  namespace: "
              + namespace
              + "\nspec:\n  version: "
              + HaCluster.testedMajor()
              + "\n  replicas: 1\n  storage:\n    size: 1Gi\n";
      testBed
          .client()
          .resource(
              testBed.client().getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
          .create();
      await()
          .atMost(Duration.ofSeconds(180))
          .until(
              () -> {
                PostgresCluster c =
                    testBed
                        .client()
                        .resources(PostgresCluster.class)
                        .inNamespace(namespace)
                        .withName("far")
                        .get();
                return c.getStatus() != null && c.getStatus().getPhase() == ClusterPhase.Running;
              });
      String ip =
          testBed
              .client()
              .pods()
              .inNamespace(namespace)
              .withName("far-0")
              .get()
              .getStatus()
              .getPodIP();
      assertThat(listening(ip, 5432)).as("PostgreSQL of far-0 runs").isTrue();
      assertThat(Files.readString(log)).doesNotContain("namespace " + OWN.name());

      // SIGKILL: no shutdown hook runs; only the kernel can end the pod's processes now.
      player.destroyForcibly().waitFor();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(listening(ip, 5432)).as("PostgreSQL outlived the pod player").isFalse();
                assertThat(listening(ip, 8008)).as("Patroni outlived the pod player").isFalse();
              });
    } finally {
      player.destroyForcibly();
      testBed.deleteNamespace(namespace);
      Files.deleteIfExists(log);
      // The player's memory-backed volumes of that namespace (its shutdown hook did not run).
      TestBed.run(
          testBed.repositoryRootPath(),
          Duration.ofSeconds(30),
          "umount",
          "--lazy",
          testBed
              .repositoryRootPath()
              .resolve("target/testbed/pods")
              .resolve(namespace)
              .toString());
    }
  }

  private static boolean listening(String ip, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(ip, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
