package io.pgtrickle.operator.postgres.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The StatefulSet controller's FailedCreate Events, read as the cluster's status needs them. */
class PodCreationFailureTest {

  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

  private static Event failedCreate(String pod, String uid, String lastTimestamp) {
    return new EventBuilder()
        .withReason("FailedCreate")
        .withNewInvolvedObject()
        .withKind("StatefulSet")
        .withName("c")
        .withUid(uid)
        .endInvolvedObject()
        .withMessage(
            "Create Pod "
                + pod
                + " in StatefulSet c failed error: pods \""
                + pod
                + "\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=0,"
                + " limited: pods=0")
        .withLastTimestamp(lastTimestamp)
        .build();
  }

  @Test
  void aRecentFailureForAMissingPodIsReportedWithTheApiServersMessage() {
    var finding =
        PodCreationFailure.among(
            List.of(failedCreate("c-0", "u1", "2026-01-01T11:59:00Z")), "u1", List.of("c-0"), NOW);
    assertThat(finding).isPresent();
    assertThat(finding.get().reason()).isEqualTo("PodCreationFailed");
    assertThat(finding.get().message())
        .startsWith("The StatefulSet cannot create its pods: Create Pod c-0 in StatefulSet c")
        .contains("exceeded quota");
  }

  @Test
  void staleOtherOrResolvedFailuresAreNot() {
    Event old = failedCreate("c-0", "u1", "2026-01-01T11:00:00Z");
    Event otherStatefulSet = failedCreate("c-0", "u0", "2026-01-01T11:59:00Z");
    Event otherPod = failedCreate("c-1", "u1", "2026-01-01T11:59:00Z");
    assertThat(PodCreationFailure.among(List.of(old), "u1", List.of("c-0"), NOW)).isEmpty();
    assertThat(PodCreationFailure.among(List.of(otherStatefulSet), "u1", List.of("c-0"), NOW))
        .isEmpty();
    assertThat(PodCreationFailure.among(List.of(otherPod), "u1", List.of("c-0"), NOW)).isEmpty();
    assertThat(
            PodCreationFailure.among(
                List.of(failedCreate("c-0", "u1", "2026-01-01T11:59:00Z")), "u1", List.of(), NOW))
        .as("the pod exists now")
        .isEmpty();
  }

  @Test
  void missingMembers() {
    assertThat(PodCreationFailure.missing("c", 3, List.of("c-0", "c-2"))).containsExactly("c-1");
    assertThat(PodCreationFailure.missing("c", 2, List.of("c-0", "c-1", "c-2"))).isEmpty();
  }
}
