package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** When a refresh connection's backend counts as gone. */
class BackendWatchTest {

  private static final long S = 1_000_000_000L;
  private static final long LIMIT = 30 * S;
  private static final BackendWatch.Backend A = new BackendWatch.Backend(101, "t0");
  private static final BackendWatch.Backend B = new BackendWatch.Backend(102, "t0");

  @Test
  void aBackendMissingForLongerThanTheLimitIsGoneOnce() {
    Map<BackendWatch.Backend, Long> seen = new HashMap<>();
    assertThat(BackendWatch.vanished(seen, List.of(A, B), Set.of(A, B), 0, LIMIT)).isEmpty();
    assertThat(BackendWatch.vanished(seen, List.of(A, B), Set.of(B), 20 * S, LIMIT)).isEmpty();
    assertThat(BackendWatch.vanished(seen, List.of(A, B), Set.of(B), 31 * S, LIMIT))
        .containsExactly(A);
    assertThat(seen).doesNotContainKey(A);
  }

  @Test
  void aBackendWatchedForTheFirstTimeGetsTheWholeLimit() {
    Map<BackendWatch.Backend, Long> seen = new HashMap<>();
    assertThat(BackendWatch.vanished(seen, List.of(A), Set.of(), 100 * S, LIMIT)).isEmpty();
    assertThat(BackendWatch.vanished(seen, List.of(A), Set.of(), 129 * S, LIMIT)).isEmpty();
    assertThat(BackendWatch.vanished(seen, List.of(A), Set.of(), 131 * S, LIMIT))
        .containsExactly(A);
  }

  @Test
  void aPidReusedByAnotherBackendDoesNotCount() {
    Map<BackendWatch.Backend, Long> seen = new HashMap<>();
    BackendWatch.vanished(seen, List.of(A), Set.of(A), 0, LIMIT);
    BackendWatch.Backend reused = new BackendWatch.Backend(A.pid(), "t1");
    assertThat(BackendWatch.vanished(seen, List.of(A), Set.of(reused), 31 * S, LIMIT))
        .containsExactly(A);
  }

  @Test
  void backendsNoLongerWatchedAreForgotten() {
    Map<BackendWatch.Backend, Long> seen = new HashMap<>();
    BackendWatch.vanished(seen, List.of(A, B), Set.of(A, B), 0, LIMIT);
    BackendWatch.vanished(seen, List.of(B), Set.of(B), S, LIMIT);
    assertThat(seen).containsOnlyKeys(B);
  }
}
