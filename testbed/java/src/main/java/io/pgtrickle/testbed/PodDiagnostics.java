package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What a test says about the pods of its namespace when it fails, so that the failure tells which
 * link broke even after the namespace (and the pods' logs with it) is gone:
 *
 * <ul>
 *   <li>each pod: phase, IP, Ready, and each container's state (running, waiting with its reason,
 *       terminated with its exit code and the last line of its termination message);
 *   <li>its Events (type, reason, count, message);
 *   <li>the last lines of every log the test bed keeps for it ({@link PodLogs}: Patroni and
 *       PostgreSQL, each sidecar such as PgBouncer and pgBackRest's TLS server, a backup Job's
 *       container);
 *   <li>the namespace's Service routing: each Service's virtual address, the endpoints its
 *       forwarder picks from and whether each accepts a connection now ({@link
 *       ServiceRouting#describe()}).
 * </ul>
 *
 * Several lines; never throws (what could not be read is said in the text).
 */
public final class PodDiagnostics {

  /** Lines of each log in the diagnostics. */
  public static final int LOG_LINES = 20;

  private PodDiagnostics() {}

  /** Every pod of the namespace (by name), then its Service routing. */
  public static String describe(TestNamespace namespace) {
    StringBuilder out = new StringBuilder("Pods of namespace ").append(namespace.name());
    out.append(":\n");
    try {
      KubernetesClient client = namespace.client();
      List<Event> events = client.v1().events().inNamespace(namespace.name()).list().getItems();
      client.pods().inNamespace(namespace.name()).list().getItems().stream()
          .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
          .forEach(pod -> out.append(describe(namespace.testBed(), pod, events, LOG_LINES)));
    } catch (RuntimeException e) {
      out.append("  (pods not listed: ").append(e).append(")\n");
    }
    ServiceRouting.of(namespace.name())
        .ifPresent(routing -> out.append("Service routing:\n").append(routing.describe()));
    return out.toString();
  }

  /**
   * One pod: {@link #status(Pod)}, its Events among {@code events}, and the last {@code logLines}
   * lines of each of its logs.
   */
  public static String describe(TestBed testBed, Pod pod, List<Event> events, int logLines) {
    String name = pod.getMetadata().getName();
    StringBuilder out = new StringBuilder("  ").append(status(pod)).append('\n');
    out.append(events(events, name));
    for (Map.Entry<String, String> log :
        PodLogs.tails(testBed, pod.getMetadata().getNamespace(), name, logLines).entrySet()) {
      out.append("    ")
          .append(log.getKey())
          .append(":\n      ")
          .append(log.getValue().replace("\n", "\n      "))
          .append('\n');
    }
    return out.toString();
  }

  /**
   * One line: {@code pod NAME phase=P ip=IP ready=R [deleting] container C: STATE ...}, where STATE
   * is {@code running}, {@code waiting REASON: MESSAGE} or {@code terminated exit=N reason=R} with
   * the termination message's last line.
   */
  static String status(Pod pod) {
    var status = pod.getStatus();
    StringBuilder out =
        new StringBuilder("pod ")
            .append(pod.getMetadata().getName())
            .append(" phase=")
            .append(status == null ? null : status.getPhase())
            .append(" ip=")
            .append(status == null ? null : status.getPodIP())
            .append(" ready=")
            .append(ready(pod));
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      out.append(" deleting since ").append(pod.getMetadata().getDeletionTimestamp());
    }
    if (status != null && status.getContainerStatuses() != null) {
      for (ContainerStatus c : status.getContainerStatuses()) {
        out.append(" container ").append(c.getName()).append(": ").append(state(c));
        if (c.getRestartCount() != null && c.getRestartCount() > 0) {
          out.append(" restarts=").append(c.getRestartCount());
        }
      }
    }
    return out.toString();
  }

  private static String ready(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return "unknown";
    }
    return pod.getStatus().getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()))
        .map(PodCondition::getStatus)
        .findFirst()
        .orElse("unknown");
  }

  private static String state(ContainerStatus c) {
    var state = c.getState();
    if (state == null) {
      return "no state";
    }
    if (state.getTerminated() != null) {
      var t = state.getTerminated();
      String message = t.getMessage() == null ? "" : lastLine(t.getMessage());
      return "terminated exit="
          + t.getExitCode()
          + " reason="
          + t.getReason()
          + (message.isEmpty() ? "" : " message=" + message);
    }
    if (state.getWaiting() != null) {
      return "waiting " + state.getWaiting().getReason() + ": " + state.getWaiting().getMessage();
    }
    return "running";
  }

  /** The Events of pod {@code pod} among {@code events}, a line each, oldest first. */
  static String events(List<Event> events, String pod) {
    StringBuilder out = new StringBuilder();
    events.stream()
        .filter(e -> e.getInvolvedObject() != null)
        .filter(e -> "Pod".equals(e.getInvolvedObject().getKind()))
        .filter(e -> pod.equals(e.getInvolvedObject().getName()))
        .sorted(Comparator.comparing(PodDiagnostics::when))
        .forEach(
            e ->
                out.append("    event ")
                    .append(when(e))
                    .append(' ')
                    .append(e.getType())
                    .append(' ')
                    .append(e.getReason())
                    .append(e.getCount() != null && e.getCount() > 1 ? " x" + e.getCount() : "")
                    .append(": ")
                    .append(e.getMessage())
                    .append('\n'));
    return out.toString();
  }

  /** When an Event last happened: its lastTimestamp, else its eventTime (events.k8s.io). */
  private static String when(Event e) {
    if (e.getLastTimestamp() != null) {
      return e.getLastTimestamp();
    }
    return e.getEventTime() == null ? "" : String.valueOf(e.getEventTime().getTime());
  }

  private static String lastLine(String text) {
    String[] lines = text.strip().split("\n");
    return lines[lines.length - 1].strip();
  }
}
