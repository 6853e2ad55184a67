package io.pgtrickle.testbed;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Job's pod that was deleted before the pod player started its program (kwok reports Job pods
 * Succeeded at once, so an operator may move on and its Job be garbage-collected first): the
 * program still runs to its end, as a kubelet would have run it before reporting Succeeded. (The
 * decommission Job of a StreamTableCluster releases the catalog only in its program.)
 */
class ProgramPodsJobIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String HELD = "example.org/held-by-the-test";

  @Test
  void aJobPodDeletedBeforeItsProgramStartedStillRunsIt() throws Exception {
    KubernetesClient client = NAMESPACE.client();
    String ns = NAMESPACE.name();
    client
        .pods()
        .inNamespace(ns)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("once")
                .addToFinalizers(HELD)
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .addNewContainer()
                .withName("once")
                .withImage("example.org/testbed/echo-program:1")
                .withArgs("once")
                .endContainer()
                .endSpec()
                .build())
        .create();
    // Given an address by kwok, then deleted, all before any pod player watched the namespace.
    await("an address")
        .atMost(WAIT)
        .until(() -> ip(client.pods().inNamespace(ns).withName("once").get()) != null);
    client.pods().inNamespace(ns).withName("once").delete();
    await("Terminating")
        .atMost(WAIT)
        .until(
            () ->
                client
                        .pods()
                        .inNamespace(ns)
                        .withName("once")
                        .get()
                        .getMetadata()
                        .getDeletionTimestamp()
                    != null);
    try (ProgramPods programs =
        new ProgramPods(
            NAMESPACE.testBed(), ns, Map.of("echo-program", ProgramPodsIT.echoLauncher()))) {
      Path log = programs.log("once");
      await("the program ran")
          .atMost(WAIT)
          .until(() -> Files.exists(log) && Files.readString(log).contains("ran once as once"));
    } finally {
      client
          .pods()
          .inNamespace(ns)
          .withName("once")
          .edit(
              p -> {
                p.getMetadata().getFinalizers().remove(HELD);
                return p;
              });
    }
  }

  private static String ip(Pod pod) {
    return pod == null || pod.getStatus() == null ? null : pod.getStatus().getPodIP();
  }
}
