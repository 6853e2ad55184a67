package io.pgtrickle.worker.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DuePlannerTest {

  private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");
  private final Map<Long, DuePlanner.Node> nodes = new HashMap<>();

  private void add(long id, String schedule, String status, Instant data, Long... upstream) {
    nodes.put(
        id,
        new DuePlanner.Node(
            id,
            Schedule.parse(schedule),
            status,
            data != null,
            true,
            data,
            NOW.minusSeconds(3600),
            Set.of(upstream)));
  }

  private DuePlanner.Plan plan(Long... manual) {
    return DuePlanner.plan(nodes, Set.of(manual), NOW, Duration.ofMinutes(1));
  }

  @Test
  void dueBySchedule() {
    add(1, "10s", "ACTIVE", NOW.minusSeconds(11));
    add(2, "10s", "ACTIVE", NOW.minusSeconds(5));
    add(3, "10s", "INITIALIZING", null);
    add(4, "10s", "SUSPENDED", NOW.minusSeconds(60));
    add(5, "10s", "ERROR", NOW.minusSeconds(60));
    DuePlanner.Plan p = plan();
    assertThat(p.due()).containsExactlyInAnyOrder(1L, 3L);
    assertThat(p.ready()).containsExactly(3L, 1L); // never refreshed first, then the stalest
  }

  @Test
  void manualRequestsComeFirstAndReachErrorButNotSuspended() {
    add(1, "10s", "ACTIVE", NOW.minusSeconds(11));
    add(2, "1h", "ACTIVE", NOW.minusSeconds(5));
    add(4, "10s", "SUSPENDED", NOW.minusSeconds(60));
    add(5, "10s", "ERROR", NOW.minusSeconds(60));
    DuePlanner.Plan p = plan(2L, 4L, 5L);
    assertThat(p.due()).containsExactlyInAnyOrder(1L, 2L, 5L);
    assertThat(p.ready()).startsWith(5L, 2L).endsWith(1L);
    assertThat(p.manual()).containsExactlyInAnyOrder(2L, 5L);
  }

  @Test
  void upstreamFirst() {
    add(1, "1s", "ACTIVE", NOW.minusSeconds(2)); // a: due
    add(2, "1s", "ACTIVE", NOW.minusSeconds(2), 1L); // b reads a: waits for a
    add(3, "1s", "ACTIVE", NOW.minusSeconds(2), 2L); // c reads b
    DuePlanner.Plan p = plan();
    assertThat(p.due()).containsExactlyInAnyOrder(1L, 2L, 3L);
    assertThat(p.ready()).containsExactly(1L);
    add(1, "1s", "ACTIVE", NOW); // a refreshed
    assertThat(plan().ready()).containsExactly(2L);
  }

  @Test
  void calculatedFollowsItsReaders() {
    add(1, null, "ACTIVE", NOW.minusSeconds(30)); // calculated
    add(2, "10s", "ACTIVE", NOW.minusSeconds(20), 1L); // reads 1, due
    DuePlanner.Plan p = plan();
    assertThat(p.due()).containsExactlyInAnyOrder(1L, 2L);
    assertThat(p.ready()).containsExactly(1L);
    add(1, null, "ACTIVE", NOW.minusSeconds(1)); // refreshed after its reader
    p = plan();
    assertThat(p.due()).containsExactly(2L);
    add(2, "10s", "ACTIVE", NOW); // reader refreshed: nothing due
    assertThat(plan().due()).isEmpty();
  }

  @Test
  void aNewReaderOfACalculatedTableIsNotBlockedByIt() {
    add(1, null, "INITIALIZING", null); // calculated, never populated
    add(2, "1s", "INITIALIZING", null, 1L); // its reader, never populated
    assertThat(plan().ready()).containsExactly(1L);
    add(1, null, "ACTIVE", NOW.minusMillis(10)); // populated; the reader has not been yet
    assertThat(plan().due()).containsExactly(2L);
    assertThat(plan().ready()).containsExactly(2L);
  }

  @Test
  void calculatedWithoutReadersFollowsTheDefault() {
    add(1, null, "ACTIVE", NOW.minusSeconds(59));
    assertThat(plan().due()).isEmpty();
    add(1, null, "ACTIVE", NOW.minusSeconds(60));
    assertThat(plan().due()).containsExactly(1L);
  }

  @Test
  void aManualRequestAlsoRefreshesWhatTheTableReads() {
    add(1, "1h", "ACTIVE", NOW.minusSeconds(5));
    add(2, "1h", "ACTIVE", NOW.minusSeconds(5), 1L);
    DuePlanner.Plan p = plan(2L);
    assertThat(p.due()).containsExactlyInAnyOrder(1L, 2L);
    assertThat(p.ready()).containsExactly(1L);
    assertThat(p.manual()).containsExactlyInAnyOrder(1L, 2L);
  }

  /**
   * The upstream of a requested table is refreshed once for the request, then its reader goes: it
   * stayed due as long as the request waited, and its reader blocked behind it forever.
   */
  @Test
  void anUpstreamRefreshedForARequestNoLongerBlocksTheRequestedTable() {
    add(1, "calculated", "ACTIVE", NOW.minusSeconds(10));
    add(2, "1h", "ACTIVE", NOW.minusSeconds(5), 1L);
    DuePlanner.Plan p = plan(2L);
    assertThat(p.due()).containsExactlyInAnyOrder(1L, 2L);
    assertThat(p.ready()).containsExactly(1L);
    add(1, "calculated", "ACTIVE", NOW.minusSeconds(1));
    p = plan(2L);
    assertThat(p.due()).containsExactly(2L);
    assertThat(p.ready()).containsExactly(2L);
    // Three levels: each upstream, then the next.
    add(3, "1h", "ACTIVE", NOW.minusSeconds(20), 2L);
    add(2, "1h", "ACTIVE", NOW.minusSeconds(30), 1L);
    add(1, "calculated", "ACTIVE", NOW.minusSeconds(40));
    assertThat(plan(3L).ready()).containsExactly(1L);
    add(1, "calculated", "ACTIVE", NOW.minusSeconds(2));
    assertThat(plan(3L).ready()).containsExactly(2L);
    add(2, "1h", "ACTIVE", NOW.minusSeconds(1));
    assertThat(plan(3L).ready()).contains(3L);
  }

  @Test
  void notInitializedWaitsForItsSchedule() {
    nodes.put(
        1L,
        new DuePlanner.Node(
            1,
            Schedule.parse("10m"),
            "INITIALIZING",
            false,
            false,
            null,
            NOW.minusSeconds(60),
            Set.of()));
    assertThat(plan().due()).isEmpty();
    assertThat(plan(1L).due()).containsExactly(1L);
    nodes.put(
        1L,
        new DuePlanner.Node(
            1,
            Schedule.parse("10m"),
            "INITIALIZING",
            false,
            false,
            null,
            NOW.minusSeconds(600),
            Set.of()));
    assertThat(plan().due()).containsExactly(1L);
  }

  @Test
  void theNextDurationDue() {
    add(1, "10s", "ACTIVE", NOW.minusSeconds(9));
    add(2, "1s", "ACTIVE", NOW.minusMillis(700));
    add(3, "1s", "SUSPENDED", NOW.minusMillis(900));
    add(4, "1s", "ACTIVE", NOW.minusSeconds(5)); // due already
    assertThat(DuePlanner.millisToNextDue(nodes, NOW)).hasValue(300);
    nodes.clear();
    assertThat(DuePlanner.millisToNextDue(nodes, NOW)).isEmpty();
  }

  @Test
  void anUnparseableScheduleIsNeverDue() {
    nodes.put(
        1L,
        new DuePlanner.Node(1, null, "ACTIVE", true, true, NOW.minusSeconds(9999), NOW, Set.of()));
    assertThat(plan().due()).isEmpty();
  }
}
