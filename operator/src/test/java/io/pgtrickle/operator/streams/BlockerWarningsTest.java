package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One Warning per pod trouble, even when a round reads a status older than its last patch. */
class BlockerWarningsTest {

  @Test
  void aTroubleIsWarnedOnceUntilItGoes() {
    BlockerWarnings warnings = new BlockerWarnings();
    assertThat(warnings.alreadyWarned("u", "Unschedulable", true)).isFalse();
    // A round that read the status from before the patch sees it as new again: already warned.
    assertThat(warnings.alreadyWarned("u", "Unschedulable", true)).isTrue();
    assertThat(warnings.alreadyWarned("other", "Unschedulable", true)).isFalse();
    // Gone (the pod was scheduled, the reason is the counts'): a later one is new.
    assertThat(warnings.alreadyWarned("u", "WorkersNotReady", false)).isFalse();
    assertThat(warnings.alreadyWarned("u", "Unschedulable", true)).isFalse();
  }

  @Test
  void imagePullRetriesAndOtherTroubles() {
    BlockerWarnings warnings = new BlockerWarnings();
    assertThat(warnings.alreadyWarned("u", "ErrImagePull", true)).isFalse();
    assertThat(warnings.alreadyWarned("u", "ImagePullBackOff", true)).isTrue();
    assertThat(warnings.alreadyWarned("u", "CrashLoopBackOff", true)).isFalse();
    warnings.forget("u");
    assertThat(warnings.alreadyWarned("u", "CrashLoopBackOff", true)).isFalse();
  }
}
