package io.pgtrickle.changelog.postgres;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The pure part of group commit (see {@link PgGroupCommit}): which waiting publishes form the next
 * group, and which of their events the group's {@code COPY} writes. No I/O, no locking: the caller
 * holds whatever lock guards the queue and the map.
 */
final class PgPublishGroups {

  /**
   * One publish call waiting for its group: one source's events, already validated ({@link
   * io.pgtrickle.changelog.PublishBatch}: not empty, all of {@code sourceOid}, positions strictly
   * increasing). {@code done} completes once a commit holds the events (or they were stored
   * already), or fails with that publish's own error.
   */
  record Request(long sourceOid, List<ChangeEvent> events, CompletableFuture<Void> done) {}

  /** Events of one request that the group writes: {@code events.subList(first, size)}. */
  record Slice(long sourceOid, List<ChangeEvent> events) {}

  private PgPublishGroups() {}

  /**
   * Removes the next group from the head of {@code queue}: the first request whatever its size,
   * then the following ones while the group's events stay within {@code maxEvents}. Requests keep
   * their queue order, so a source's publishes stay in the order they were made.
   *
   * @param queue waiting requests, oldest first; the group is removed from it
   * @param maxEvents the most events in a group of more than one request (at least 1)
   * @return the group, empty if the queue was
   */
  static List<Request> take(Deque<Request> queue, int maxEvents) {
    List<Request> group = new ArrayList<>();
    long events = 0;
    while (!queue.isEmpty()) {
      Request next = queue.peekFirst();
      if (!group.isEmpty() && events + next.events().size() > maxEvents) {
        break;
      }
      group.add(queue.pollFirst());
      events += next.events().size();
    }
    return group;
  }

  /**
   * The events of {@code group} to write, in order: of each request those above its source's
   * highest stored position, the group's earlier requests of the same source counting as stored (as
   * if the requests were published one after another). The rule of the single publish, applied to a
   * group.
   *
   * @param group requests in queue order
   * @param highest the highest stored position per source, absent for a source with nothing stored;
   *     updated in place to each source's highest once the group is committed
   * @return the non-empty slices to write, in group order
   */
  static List<Slice> plan(List<Request> group, Map<Long, Lsn> highest) {
    List<Slice> slices = new ArrayList<>(group.size());
    for (Request r : group) {
      List<ChangeEvent> events = r.events();
      Lsn stored = highest.get(r.sourceOid());
      int first = 0;
      while (first < events.size() && stored != null && !events.get(first).lsn().isAfter(stored)) {
        first++;
      }
      if (first < events.size()) {
        slices.add(new Slice(r.sourceOid(), events.subList(first, events.size())));
      }
      Lsn last = events.get(events.size() - 1).lsn();
      highest.put(r.sourceOid(), stored == null ? last : Lsn.max(stored, last));
    }
    return slices;
  }
}
