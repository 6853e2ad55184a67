package io.pgtrickle.worker.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which stream tables are due and in what order (pure, unit tested).
 *
 * <ul>
 *   <li>Refreshable: status INITIALIZING or ACTIVE; ERROR only on a manual request; never
 *       SUSPENDED.
 *   <li>Due: a manual request; never populated and {@code initialize}; or its schedule fired since
 *       its data timestamp (since {@code created_at} if never populated). A 'calculated' table is
 *       due when a refreshable table reading it is due and it has not been refreshed since that
 *       reader was; with no readers it follows the default schedule. A manual request also asks for
 *       the stream tables the requested one reads, so the refresh sees them current: such an
 *       upstream table is due while it has not been refreshed since a requesting reader was (as a
 *       'calculated' one), not for as long as the request waits, which would keep it due and its
 *       reader blocked behind it forever.
 *   <li>Ready: due and no stream table it reads is due (dependency order: upstream first). Ready
 *       tables come upstream first, then the stalest first.
 * </ul>
 */
public final class DuePlanner {

  /**
   * A stream table as the scheduler sees it.
   *
   * @param pgtId its id
   * @param schedule its schedule, or {@code null} if the text could not be parsed
   * @param status its status
   * @param populated whether it was ever populated
   * @param initialize whether to populate it without waiting for the schedule
   * @param dataTimestamp its contents' snapshot time, or {@code null}
   * @param createdAt when it was created
   * @param upstream the stream tables it reads
   */
  public record Node(
      long pgtId,
      Schedule schedule,
      String status,
      boolean populated,
      boolean initialize,
      Instant dataTimestamp,
      Instant createdAt,
      Set<Long> upstream) {}

  /**
   * The plan of one scheduler round.
   *
   * @param due every due, refreshable stream table
   * @param ready the due ones whose upstream is not due, in the order to refresh them
   * @param manual the due ones a manual request asks for (directly or as upstream)
   */
  public record Plan(Set<Long> due, List<Long> ready, Set<Long> manual) {}

  private final Map<Long, Node> nodes;
  private final Map<Long, Set<Long>> readers = new HashMap<>();
  private final Set<Long> requested;
  private final Set<Long> direct;
  private final Instant now;
  private final Duration defaultSchedule;
  private final Map<Long, Boolean> memo = new HashMap<>();

  private DuePlanner(
      Map<Long, Node> nodes,
      Set<Long> requested,
      Set<Long> direct,
      Instant now,
      Duration defaultSchedule) {
    this.nodes = nodes;
    this.requested = requested;
    this.direct = direct;
    this.now = now;
    this.defaultSchedule = defaultSchedule;
    for (Node n : nodes.values()) {
      for (long up : n.upstream()) {
        readers.computeIfAbsent(up, k -> new HashSet<>()).add(n.pgtId());
      }
    }
  }

  /**
   * Plans a round.
   *
   * @param nodes every stream table by id
   * @param manualRequests ids with a manual refresh request waiting
   * @param now the current time
   * @param defaultSchedule the schedule of a 'calculated' table nobody reads
   * @return the plan
   */
  public static Plan plan(
      Map<Long, Node> nodes, Set<Long> manualRequests, Instant now, Duration defaultSchedule) {
    Set<Long> manual = new HashSet<>();
    for (long id : manualRequests) {
      addWithUpstream(nodes, id, manual);
    }
    return new DuePlanner(nodes, manual, manualRequests, now, defaultSchedule).plan();
  }

  /**
   * How long until the next stream table with a duration schedule falls due (refreshable ones that
   * are not due yet), so the scheduler need not wait a whole interval for it.
   *
   * @param nodes every stream table
   * @param now the current time
   * @return milliseconds, if any such table exists
   */
  public static java.util.OptionalLong millisToNextDue(Map<Long, Node> nodes, Instant now) {
    long best = Long.MAX_VALUE;
    for (Node n : nodes.values()) {
      if (n.schedule() instanceof Schedule.Every every
          && n.dataTimestamp() != null
          && ("ACTIVE".equals(n.status()) || "INITIALIZING".equals(n.status()))) {
        long ms = Duration.between(now, n.dataTimestamp().plus(every.interval())).toMillis();
        if (ms > 0) {
          best = Math.min(best, ms);
        }
      }
    }
    return best == Long.MAX_VALUE
        ? java.util.OptionalLong.empty()
        : java.util.OptionalLong.of(best);
  }

  private static void addWithUpstream(Map<Long, Node> nodes, long id, Set<Long> out) {
    Node n = nodes.get(id);
    if (n != null && out.add(id)) {
      for (long up : n.upstream()) {
        addWithUpstream(nodes, up, out);
      }
    }
  }

  private Plan plan() {
    Set<Long> due = new LinkedHashSet<>();
    Set<Long> manualDue = new HashSet<>();
    for (Node n : nodes.values()) {
      boolean asked = dueByRequest(n);
      if (refreshable(n) && (asked || dueBySchedule(n.pgtId(), 0))) {
        due.add(n.pgtId());
        if (asked) {
          manualDue.add(n.pgtId());
        }
      }
    }
    List<Long> ready = new ArrayList<>();
    for (long id : due) {
      boolean blocked = false;
      for (long up : nodes.get(id).upstream()) {
        if (due.contains(up)) {
          blocked = true;
          break;
        }
      }
      if (!blocked) {
        ready.add(id);
      }
    }
    ready.sort(
        Comparator.comparing((Long id) -> !manualDue.contains(id))
            .thenComparing(
                id -> nodes.get(id).dataTimestamp(),
                Comparator.nullsFirst(Comparator.naturalOrder())));
    return new Plan(due, ready, manualDue);
  }

  /**
   * Asked for by a manual request: directly, or as an upstream of a requested table that has not
   * been refreshed since that reader was.
   */
  private boolean dueByRequest(Node n) {
    if (direct.contains(n.pgtId())) {
      return true;
    }
    if (!requested.contains(n.pgtId())) {
      return false;
    }
    for (long r : readers.getOrDefault(n.pgtId(), Set.of())) {
      Node reader = nodes.get(r);
      if (reader != null && requested.contains(r) && notRefreshedSince(n, reader)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code upstream} was not refreshed since {@code reader} was (or never was). */
  private static boolean notRefreshedSince(Node upstream, Node reader) {
    Instant mine = upstream.dataTimestamp();
    Instant theirs = reader.dataTimestamp();
    return mine == null || (theirs != null && !mine.isAfter(theirs));
  }

  private boolean refreshable(Node n) {
    return "INITIALIZING".equals(n.status())
        || "ACTIVE".equals(n.status())
        || ("ERROR".equals(n.status()) && requested.contains(n.pgtId()));
  }

  private boolean dueBySchedule(long id, int depth) {
    Boolean known = memo.get(id);
    if (known != null) {
      return known;
    }
    Node n = nodes.get(id);
    if (n == null || n.schedule() == null || depth > nodes.size()) {
      return false; // unknown, unparseable, or a cycle (refused at create time)
    }
    boolean due;
    if (!n.populated() && n.initialize()) {
      due = true;
    } else if (n.schedule() instanceof Schedule.Calculated) {
      due = calculatedDue(n, depth);
    } else {
      due = n.schedule().isDue(last(n), now);
    }
    memo.put(id, due);
    return due;
  }

  private boolean calculatedDue(Node n, int depth) {
    boolean anyReader = false;
    for (long r : readers.getOrDefault(n.pgtId(), Set.of())) {
      Node reader = nodes.get(r);
      if (reader == null || !refreshable(reader)) {
        continue;
      }
      anyReader = true;
      // Refreshed since the reader was (or the reader never was): the reader goes first.
      if ((requested.contains(r) || dueBySchedule(r, depth + 1)) && notRefreshedSince(n, reader)) {
        return true;
      }
    }
    return !anyReader && new Schedule.Every(defaultSchedule).isDue(last(n), now);
  }

  private static Instant last(Node n) {
    if (n.dataTimestamp() != null) {
      return n.dataTimestamp();
    }
    return n.initialize() ? null : n.createdAt();
  }
}
