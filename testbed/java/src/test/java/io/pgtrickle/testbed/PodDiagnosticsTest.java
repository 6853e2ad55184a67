package io.pgtrickle.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodDiagnosticsTest {

  @Test
  void aPodIsOneLineWithEachContainersState() {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("db-0")
            .endMetadata()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP("127.21.0.4")
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .endCondition()
            .addNewContainerStatus()
            .withName("postgres")
            .withNewState()
            .withNewRunning()
            .endRunning()
            .endState()
            .endContainerStatus()
            .addNewContainerStatus()
            .withName("pgbouncer")
            .withRestartCount(2)
            .withNewState()
            .withNewWaiting()
            .withReason("CrashLoopBackOff")
            .withMessage("back-off 20s")
            .endWaiting()
            .endState()
            .endContainerStatus()
            .addNewContainerStatus()
            .withName("job")
            .withNewState()
            .withNewTerminated()
            .withExitCode(49)
            .withReason("Error")
            .withMessage("P00   INFO: backup start\nP00  ERROR: [049]: unable to connect")
            .endTerminated()
            .endState()
            .endContainerStatus()
            .endStatus()
            .build();

    assertThat(PodDiagnostics.status(pod))
        .isEqualTo(
            "pod db-0 phase=Running ip=127.21.0.4 ready=True container postgres: running"
                + " container pgbouncer: waiting CrashLoopBackOff: back-off 20s restarts=2"
                + " container job: terminated exit=49 reason=Error"
                + " message=P00  ERROR: [049]: unable to connect");
  }

  @Test
  void onlyThePodsEventsAreListedOldestFirst() {
    List<Event> events =
        List.of(
            event("db-0", "2026-12-02T10:00:05Z", "Unhealthy", "Readiness probe failed"),
            event("db-1", "2026-12-02T10:00:01Z", "Killing", "elsewhere"),
            event("db-0", "2026-12-02T10:00:01Z", "Started", "Started container pgbouncer"));

    assertThat(PodDiagnostics.events(events, "db-0"))
        .isEqualTo(
            "    event 2026-12-02T10:00:01Z Normal Started: Started container pgbouncer\n"
                + "    event 2026-12-02T10:00:05Z Normal Unhealthy: Readiness probe failed\n");
  }

  private static Event event(String pod, String at, String reason, String message) {
    return new EventBuilder()
        .withNewInvolvedObject()
        .withKind("Pod")
        .withName(pod)
        .endInvolvedObject()
        .withType("Normal")
        .withReason(reason)
        .withMessage(message)
        .withLastTimestamp(at)
        .build();
  }
}
