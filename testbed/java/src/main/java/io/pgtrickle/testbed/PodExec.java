package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Map;

/**
 * Plays the kubelet's exec ({@code kubectl exec POD -- CMD}, the pods/exec API) for a pod the pod
 * player runs: kwok serves the exec and runs the command as its kwok {@code Exec} object says; this
 * object names the pod's init process and user, and testbed/pod-exec.sh (on kwok's PATH under the
 * commands' names) enters that process's namespaces with them.
 */
final class PodExec {

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
}
