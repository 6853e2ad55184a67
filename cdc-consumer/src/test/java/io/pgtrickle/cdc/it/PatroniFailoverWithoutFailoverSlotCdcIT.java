package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.testbed.TestNamespace;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The same faults ({@link FailoverRun}) on PostgreSQL 15, which has no failover slots, without a
 * Patroni permanent slot: what the consumer's README documents happens. Every fault of the primary
 * loses the slot, also when the same member comes back as primary: a restarted primary starts
 * read-only and Patroni drops the logical slots it does not manage ("Trying to drop unknown
 * replication slot") before it promotes itself again; a new primary never had the slot. The
 * consumer then publishes a GAP event, creates the slot on the primary at its current position and
 * logs an ERROR. So the change log holds the committed history in commit order, nothing twice and
 * nothing that was not committed, except for at most one gap per re-created slot: the transactions
 * committed between the consumer's last confirmed position and the new slot's creation, each gap
 * followed by a GAP event. Everything after the last gap is there.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class PatroniFailoverWithoutFailoverSlotCdcIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static PatroniCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = new PatroniCluster(NAMESPACE, "cdc15", 15, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void eachFailoverLosesTheSlotAndLeavesOneReportedGapNothingDuplicated() throws Exception {
    FailoverRun run = FailoverRun.run(cluster, false);
    // Every fault of the primary loses the slot, also when the same member stays primary.
    assertThat(run.failovers()).as("faults that moved the primary: %s", run.faults()).isPositive();
    assertThat(run.slotsRecreated())
        .as("slots re-created, %s", run.faults())
        .isEqualTo(run.faults().size());
    run.assertNoAcknowledgedCommitLost();
    List<String> withMarkers = run.published();
    List<String> published = withMarkers.stream().filter(r -> !r.equals("GAP")).toList();
    List<String> committed = run.committed();
    assertThat(new HashSet<>(published)).as("nothing twice").hasSize(published.size());
    Set<String> real = new HashSet<>(committed);
    assertThat(published).as("nothing that was not committed").allMatch(real::contains);
    assertThat(withMarkers.get(0)).as("the first slot's GAP opens the log").isEqualTo("GAP");
    assertThat(withMarkers.stream().filter(r -> r.equals("GAP")).count())
        .as("one GAP per slot created, %s", run.faults())
        .isEqualTo(run.slotsRecreated() + 1);
    // The change log is the committed history with contiguous runs left out: at most one per
    // failover, none at the end, and each one marked by a GAP event right where it ends.
    int gaps = 0;
    int i = 0;
    boolean inGap = false;
    boolean marked = false;
    for (String row : committed) {
      while (i < withMarkers.size() && withMarkers.get(i).equals("GAP")) {
        marked = true;
        i++;
      }
      if (i < withMarkers.size() && withMarkers.get(i).equals(row)) {
        assertThat(!inGap || marked).as("a GAP event before %s, after gap %d", row, gaps).isTrue();
        i++;
        inGap = false;
        marked = false;
      } else if (!inGap) {
        gaps++;
        inGap = true;
      }
    }
    while (i < withMarkers.size() && withMarkers.get(i).equals("GAP")) {
      i++; // a slot created last, with nothing committed after it
    }
    assertThat(i).as("the change log follows commit order").isEqualTo(withMarkers.size());
    assertThat(gaps)
        .as("gaps in the change log, %s", run.faults())
        .isLessThanOrEqualTo((int) run.slotsRecreated());
    assertThat(inGap).as("nothing missing after the last failover").isFalse();
    System.out.printf(
        "without failover slots: %d of %d committed rows in the change log, %d gaps%n",
        published.size(), committed.size(), gaps);
  }
}
