package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class DeletedClusterStateTest {

  private static final String DELETED = "2026-12-07T22:32:36Z";
  private static final Instant AT = Instant.parse(DELETED);

  @Test
  void waitsWhileMembersRunWithinTheBound() {
    assertThat(DeletedClusterState.waitsForMembers(3, DELETED, AT.plusSeconds(1))).isTrue();
    assertThat(DeletedClusterState.waitsForMembers(1, DELETED, AT.plusSeconds(89))).isTrue();
    assertThat(DeletedClusterState.waitsForMembers(1, null, AT)).isTrue();
  }

  @Test
  void goesOnOnceTheMembersAreGoneOrTheBoundIsPast() {
    assertThat(DeletedClusterState.waitsForMembers(0, DELETED, AT.plusSeconds(1))).isFalse();
    assertThat(DeletedClusterState.waitsForMembers(2, DELETED, AT.plusSeconds(90))).isFalse();
    assertThat(DeletedClusterState.waitsForMembers(0, null, AT)).isFalse();
  }
}
