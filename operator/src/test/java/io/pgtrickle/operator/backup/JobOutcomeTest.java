package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobOutcomeTest {

  private static Job job(String condition, String reason, String message, Integer failed) {
    JobBuilder job = new JobBuilder().withNewMetadata().withName("nightly-1").endMetadata();
    var status = job.withNewStatus().withFailed(failed);
    if (condition != null) {
      status
          .addNewCondition()
          .withType(condition)
          .withStatus("True")
          .withReason(reason)
          .withMessage(message)
          .endCondition();
    }
    return status.endStatus().build();
  }

  private static Pod failedPod(String name, String created, int exit, String message) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withCreationTimestamp(created)
        .endMetadata()
        .withNewStatus()
        .withPhase("Failed")
        .addNewContainerStatus()
        .withName("pgbackrest")
        .withNewState()
        .withNewTerminated()
        .withExitCode(exit)
        .withMessage(message)
        .endTerminated()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void aJobWithoutAFinalConditionRuns() {
    JobOutcome o = JobOutcome.of(job(null, null, null, 1), List.of());
    assertThat(o.state()).isEqualTo(JobOutcome.State.RUNNING);
    assertThat(o.finished()).isFalse();
    // Kubernetes 1.31+: FailureTarget comes before Failed; the Job is not finished yet.
    assertThat(
            JobOutcome.of(job("FailureTarget", "BackoffLimitExceeded", null, 4), List.of())
                .finished())
        .isFalse();
  }

  @Test
  void aRunningJobAfterFailedPodsSaysWhichAttemptAndWhyTheLastOneFailed() {
    Job retried = job(null, null, null, 1);
    retried.setSpec(new io.fabric8.kubernetes.api.model.batch.v1.JobSpec());
    retried.getSpec().setBackoffLimit(3);
    JobOutcome o =
        JobOutcome.of(
            retried,
            List.of(
                failedPod(
                    "nightly-1-aaaaa",
                    "2026-12-01T02:00:00Z",
                    1,
                    "P00   INFO: backup command begin\nP00  ERROR: [049]: unable to get address\n")));
    assertThat(o.state()).isEqualTo(JobOutcome.State.RUNNING);
    assertThat(o.message())
        .isEqualTo(
            "backup Job nightly-1 is running (attempt 2 of 4; pod nightly-1-aaaaa exited 1: P00 "
                + " ERROR: [049]: unable to get address)");
    // Before any failure, and without a spec or the pods: no attempt count to tell.
    assertThat(JobOutcome.of(job(null, null, null, null), List.of()).message())
        .isEqualTo("backup Job nightly-1 is running");
    assertThat(JobOutcome.of(job(null, null, null, 2), List.of()).message())
        .isEqualTo("backup Job nightly-1 is running (attempt 3)");
  }

  @Test
  void aCompleteJobSucceeded() {
    JobOutcome o = JobOutcome.of(job("Complete", null, null, null), List.of());
    assertThat(o.state()).isEqualTo(JobOutcome.State.SUCCEEDED);
    assertThat(o.finished()).isTrue();
  }

  @Test
  void aFailedJobGivesItsReasonAndTheLastPodsLogLines() {
    JobOutcome o =
        JobOutcome.of(
            job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", 4),
            List.of(
                failedPod("nightly-1-aaaaa", "2026-12-01T02:00:00Z", 1, "first"),
                failedPod(
                    "nightly-1-bbbbb",
                    "2026-12-01T02:01:00Z",
                    41,
                    "line 1\nline 2\nP00  ERROR: [041]: unable to open file\nline 4\n")));
    assertThat(o.state()).isEqualTo(JobOutcome.State.FAILED);
    assertThat(o.reason()).isEqualTo("BackoffLimitExceeded");
    assertThat(o.message())
        .isEqualTo(
            "backup Job nightly-1 failed (BackoffLimitExceeded: Job has reached the specified"
                + " backoff limit) after 4 attempts; pod nightly-1-bbbbb exited 41: P00  ERROR:"
                + " [041]: unable to open file | line 4");
    assertThat(JobOutcome.tail("a\nb\nc\nd\n")).isEqualTo("b | c | d");
  }

  @Test
  void aFailedJobWhosePodsAreGoneStillSaysWhy() {
    JobOutcome o =
        JobOutcome.of(job("Failed", "DeadlineExceeded", "Job was active longer", 1), List.of());
    assertThat(o.message())
        .isEqualTo(
            "backup Job nightly-1 failed (DeadlineExceeded: Job was active longer) after 1"
                + " attempt");
  }

  @Test
  void theTailIsBounded() {
    assertThat(JobOutcome.tail("x".repeat(5000))).hasSize(JobOutcome.TAIL_CHARS);
  }
}
