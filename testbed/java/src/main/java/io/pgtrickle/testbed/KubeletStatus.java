package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;

/**
 * What a kubelet reports in a pod's status when its container dies and comes back, which kwok does
 * not simulate: the container terminated (exit 137 after SIGKILL), then waiting in
 * CrashLoopBackOff, then running again with its restart count raised. The pod is not ready until
 * the readiness probe passes again.
 */
public final class KubeletStatus {

  private static final int MAX_ATTEMPTS = 10;

  private KubeletStatus() {}

  static void terminated(KubernetesClient client, String namespace, String pod, String uid) {
    terminated(client, namespace, pod, uid, 137);
  }

  /** The container ended with {@code exitCode} (128 + signal after a signal). */
  public static void terminated(
      KubernetesClient client, String namespace, String pod, String uid, int exitCode) {
    String now = now();
    edit(
        client,
        namespace,
        pod,
        uid,
        c ->
            c.setState(
                new ContainerStateBuilder()
                    .withNewTerminated()
                    .withExitCode(exitCode)
                    .withReason(exitCode == 0 ? "Completed" : "Error")
                    .withFinishedAt(now)
                    .endTerminated()
                    .build()));
  }

  /** The kubelet waits before restarting the container (CrashLoopBackOff), its last end kept. */
  public static void backingOff(KubernetesClient client, String namespace, String pod, String uid) {
    edit(
        client,
        namespace,
        pod,
        uid,
        c -> {
          c.setLastState(c.getState());
          c.setState(
              new ContainerStateBuilder()
                  .withNewWaiting()
                  .withReason("CrashLoopBackOff")
                  .withMessage("back-off restarting failed container")
                  .endWaiting()
                  .build());
        });
  }

  /**
   * The container cannot start and waits with {@code reason}, e.g. ImagePullBackOff with the
   * registry's answer, as the kubelet reports it.
   */
  public static void waiting(
      KubernetesClient client, String namespace, String pod, String reason, String message) {
    Pod current = client.pods().inNamespace(namespace).withName(pod).get();
    edit(
        client,
        namespace,
        pod,
        current.getMetadata().getUid(),
        c ->
            c.setState(
                new ContainerStateBuilder()
                    .withNewWaiting()
                    .withReason(reason)
                    .withMessage(message)
                    .endWaiting()
                    .build()));
  }

  /** The container runs again, its restart count raised, not ready yet. */
  public static void restarted(KubernetesClient client, String namespace, String pod, String uid) {
    String now = now();
    edit(
        client,
        namespace,
        pod,
        uid,
        c -> {
          ContainerState state = c.getState();
          if (state != null && state.getTerminated() != null) {
            c.setLastState(state);
          }
          c.setRestartCount(c.getRestartCount() == null ? 1 : c.getRestartCount() + 1);
          c.setState(
              new ContainerStateBuilder().withNewRunning().withStartedAt(now).endRunning().build());
        });
  }

  /**
   * Applies {@code change} to every container status, re-reading the pod when another writer (the
   * readiness prober, kwok) changed it in between, as the kubelet's status manager does.
   */
  private static void edit(
      KubernetesClient client,
      String namespace,
      String pod,
      String uid,
      Consumer<ContainerStatus> change) {
    for (int attempt = 1; ; attempt++) {
      try {
        editOnce(client, namespace, pod, uid, change);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == MAX_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private static void editOnce(
      KubernetesClient client,
      String namespace,
      String pod,
      String uid,
      Consumer<ContainerStatus> change) {
    Pod current = client.pods().inNamespace(namespace).withName(pod).get();
    if (current == null
        || !uid.equals(current.getMetadata().getUid())
        || current.getStatus() == null
        || current.getStatus().getContainerStatuses() == null) {
      return;
    }
    client
        .pods()
        .inNamespace(namespace)
        .withName(pod)
        .editStatus(
            p -> {
              p.getStatus().getContainerStatuses().forEach(change);
              markReady(p, false);
              return p;
            });
  }

  /**
   * Reports a readiness probe's result on the pod {@code current} (as read just before): its status
   * is written only when its Ready or ContainersReady condition says otherwise.
   */
  static void reportReady(KubernetesClient client, String namespace, Pod current, boolean ready) {
    String wanted = ready ? "True" : "False";
    boolean differs =
        current.getStatus().getConditions().stream()
            .anyMatch(
                c ->
                    ("Ready".equals(c.getType()) || "ContainersReady".equals(c.getType()))
                        && !wanted.equals(c.getStatus()));
    if (differs) {
      client
          .pods()
          .inNamespace(namespace)
          .withName(current.getMetadata().getName())
          .editStatus(
              p -> {
                markReady(p, ready);
                return p;
              });
    }
  }

  /**
   * Sets the pod's Ready and ContainersReady conditions (a transition time where one changes) and
   * its containers' ready flags, as the kubelet's prober does.
   */
  static void markReady(Pod pod, boolean ready) {
    String wanted = ready ? "True" : "False";
    String now = now();
    if (pod.getStatus().getConditions() != null) {
      pod.getStatus().getConditions().stream()
          .filter(c -> "Ready".equals(c.getType()) || "ContainersReady".equals(c.getType()))
          .filter(c -> !wanted.equals(c.getStatus()))
          .forEach(
              c -> {
                c.setStatus(wanted);
                c.setLastTransitionTime(now);
                c.setReason(ready ? null : "ContainersNotReady");
              });
    }
    if (pod.getStatus().getContainerStatuses() != null) {
      pod.getStatus().getContainerStatuses().forEach(c -> c.setReady(ready));
    }
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
