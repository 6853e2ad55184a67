package io.pgtrickle.changelog.postgres;

import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.postgres.PgPublishGroups.Request;
import io.pgtrickle.changelog.postgres.PgPublishGroups.Slice;
import io.pgtrickle.changelog.support.TestEvents;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PgPublishGroupsTest {

  private static Request request(long source, long from, long to) {
    return new Request(source, range(source, from, to), new CompletableFuture<>());
  }

  private static ChangeEvent at(Lsn lsn) {
    ChangeEvent e = TestEvents.event(1, lsn.value());
    return new ChangeEvent(1, lsn, e.xid(), e.action(), e.columns(), null, e.timestamp());
  }

  private static List<Long> lsns(Slice s) {
    return TestEvents.lsns(s.events());
  }

  @Test
  void takeTakesEverythingWithinTheLimitInQueueOrder() {
    Request a = request(1, 1, 3);
    Request b = request(2, 1, 4);
    Request c = request(1, 4, 5);
    ArrayDeque<Request> queue = new ArrayDeque<>(List.of(a, b, c));
    assertThat(PgPublishGroups.take(queue, 9)).containsExactly(a, b, c);
    assertThat(queue).isEmpty();
  }

  @Test
  void takeStopsBeforeTheRequestThatWouldPassTheLimit() {
    Request a = request(1, 1, 3);
    Request b = request(2, 1, 4);
    Request c = request(3, 1, 1);
    ArrayDeque<Request> queue = new ArrayDeque<>(List.of(a, b, c));
    assertThat(PgPublishGroups.take(queue, 6)).containsExactly(a);
    assertThat(PgPublishGroups.take(queue, 6)).containsExactly(b, c);
    assertThat(PgPublishGroups.take(queue, 6)).isEmpty();
  }

  @Test
  void takeAlwaysTakesTheFirstRequestEvenAboveTheLimit() {
    Request big = request(1, 1, 10);
    Request small = request(2, 1, 1);
    ArrayDeque<Request> queue = new ArrayDeque<>(List.of(big, small));
    assertThat(PgPublishGroups.take(queue, 4)).containsExactly(big);
    assertThat(queue).containsExactly(small);
  }

  @Test
  void planSkipsWhatEachSourceHasStoredAndReportsTheNewHighest() {
    Map<Long, Lsn> highest = new HashMap<>(Map.of(1L, Lsn.of(2), 3L, Lsn.of(9)));
    List<Slice> slices =
        PgPublishGroups.plan(
            List.of(request(1, 1, 4), request(2, 5, 6), request(3, 1, 5)), highest);
    assertThat(slices).extracting(Slice::sourceOid).containsExactly(1L, 2L);
    assertThat(lsns(slices.get(0))).containsExactly(3L, 4L);
    assertThat(lsns(slices.get(1))).containsExactly(5L, 6L);
    assertThat(highest).isEqualTo(Map.of(1L, Lsn.of(4), 2L, Lsn.of(6), 3L, Lsn.of(9)));
  }

  @Test
  void planCountsAnEarlierRequestOfTheSameSourceInTheGroupAsStored() {
    Map<Long, Lsn> highest = new HashMap<>();
    List<Slice> slices =
        PgPublishGroups.plan(
            List.of(request(7, 1, 3), request(8, 1, 1), request(7, 2, 5)), highest);
    assertThat(slices).extracting(Slice::sourceOid).containsExactly(7L, 8L, 7L);
    assertThat(lsns(slices.get(0))).containsExactly(1L, 2L, 3L);
    assertThat(lsns(slices.get(2))).containsExactly(4L, 5L);
    assertThat(highest).isEqualTo(Map.of(7L, Lsn.of(5), 8L, Lsn.of(1)));
  }

  @Test
  void planComparesSubPositions() {
    Map<Long, Lsn> highest = new HashMap<>(Map.of(1L, Lsn.of(5, 1)));
    var events = List.of(at(Lsn.of(5, 1)), at(Lsn.of(5, 2)));
    List<Slice> slices =
        PgPublishGroups.plan(List.of(new Request(1, events, new CompletableFuture<>())), highest);
    assertThat(slices.get(0).events()).extracting(e -> e.lsn()).containsExactly(Lsn.of(5, 2));
    assertThat(highest).containsEntry(1L, Lsn.of(5, 2));
  }
}
