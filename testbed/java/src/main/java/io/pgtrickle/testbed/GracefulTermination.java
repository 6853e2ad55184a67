package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;

/**
 * Keeps a deleted pod's object until its processes stopped, as a kubelet does: a deleted pod stays
 * Terminating while its containers get SIGTERM and their grace period, and only then goes away, so
 * a StatefulSet creates its successor only after that, and other members (Patroni reads its peers
 * from the pods) still see it while it shuts down. kwok's pod-delete stage removes a deleted pod at
 * once; a finalizer the pod player puts on each pod it runs, and takes off once the pod's processes
 * exited, holds the object back meanwhile. (Without it, a deleted primary's replicas lost sight of
 * it and stopped streaming before it had shut down.)
 */
final class GracefulTermination {

  static final String FINALIZER = "testbed.pgtrickle.io/containers-stopped";

  private final KubernetesClient client;
  private final String namespace;

  GracefulTermination(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** Before the pod's processes start: its deletion then waits for {@link #release}. */
  void hold(Pod pod) {
    List<String> finalizers = pod.getMetadata().getFinalizers();
    if (finalizers != null && finalizers.contains(FINALIZER)) {
      return;
    }
    patch(
        pod.getMetadata().getName(),
        "{\"metadata\":{\"uid\":\""
            + pod.getMetadata().getUid()
            + "\",\"finalizers\":[\""
            + FINALIZER
            + "\"]}}");
  }

  /** Once the pod's processes exited: a deleted pod then goes away. */
  void release(String pod, String uid) {
    try {
      patch(
          pod,
          "{\"metadata\":{\"uid\":\""
              + uid
              + "\",\"$deleteFromPrimitiveList/finalizers\":[\""
              + FINALIZER
              + "\"]}}");
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404 && e.getCode() != 409 && e.getCode() != 422) {
        throw e; // 404: gone already; 409, 422: the name belongs to a successor (another uid)
      }
    }
  }

  private void patch(String pod, String strategicMerge) {
    client
        .pods()
        .inNamespace(namespace)
        .withName(pod)
        .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), strategicMerge);
  }
}
