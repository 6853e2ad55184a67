package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet's exec ({@code kubectl exec POD -- CMD}, the pods/exec API) for a pod the pod
 * player runs: kwok serves the exec and runs the command as its kwok {@code Exec} object says; this
 * object names the pod's init process and user, and testbed/pod-exec.sh (on kwok's PATH under the
 * commands' names) enters that process's namespaces with them.
 */
final class PodExec {

  private static final Logger LOG = LoggerFactory.getLogger(PodExec.class);

  static final ResourceDefinitionContext EXEC =
      new ResourceDefinitionContext.Builder()
          .withGroup("kwok.x-k8s.io")
          .withVersion("v1alpha1")
          .withKind("Exec")
          .withPlural("execs")
          .withNamespaced(true)
          .build();

  private PodExec() {}

  /** Points exec into {@code pod} at the process {@code initPid} (the container's main process). */
  static void expose(KubernetesClient client, Pod pod, long initPid, String user) {
    GenericKubernetesResource exec =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("kwok.x-k8s.io/v1alpha1")
            .withKind("Exec")
            .withNewMetadata()
            .withName(pod.getMetadata().getName())
            .withNamespace(pod.getMetadata().getNamespace())
            .endMetadata()
            .withAdditionalProperties(
                Map.of(
                    "spec",
                    Map.of(
                        "execs",
                        List.of(
                            Map.of(
                                "local",
                                Map.of(
                                    "envs",
                                    List.of(
                                        Map.of(
                                            "name",
                                            "TESTBED_EXEC_PID",
                                            "value",
                                            String.valueOf(initPid)),
                                        Map.of("name", "TESTBED_EXEC_USER", "value", user))))))))
            .build();
    client
        .genericKubernetesResources(EXEC)
        .inNamespace(pod.getMetadata().getNamespace())
        .resource(exec)
        .forceConflicts()
        .serverSideApply();
  }

  /**
   * {@link #expose}s the pod's container once its process tree has an init (the PID namespace's
   * first process, which {@code unshare --fork} starts a moment after itself); waits up to 1 s.
   *
   * @param process the pod's {@code unshare} process
   */
  static void exposeOnceStarted(KubernetesClient client, Pod pod, Process process) {
    for (int i = 0; i < 50; i++) {
      var init = process.children().findFirst();
      if (init.isPresent()) {
        try {
          PodExec.expose(
              client,
              pod,
              init.get().pid(),
              System.getenv().getOrDefault("PGTRICKLE_PG_USER", "pgtest"));
        } catch (RuntimeException e) {
          LOG.warn("cannot expose exec for pod {}: {}", pod.getMetadata().getName(), e.toString());
        }
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.warn("pod {}: no container process to exec into", pod.getMetadata().getName());
  }
}
