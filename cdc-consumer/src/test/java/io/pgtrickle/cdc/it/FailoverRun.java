package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The scenario of the Patroni failover tests: the consumer (a child JVM) streams the {@code ledger}
 * table through the primary Service while a {@link LedgerWriter} commits; the primary pod is
 * deleted, then the next primary is crashed; after each fault the test waits until the writer
 * commits on the new primary. Then the writer stops, the consumer catches up with the primary's
 * position and stops (SIGTERM), and the change log and the primary's table are read back.
 *
 * @param faults what was done to which pod, and which pod was primary afterwards
 * @param failovers how many faults moved the primary to another member
 * @param acknowledged transactions whose commit returned
 * @param uncertain transactions whose commit failed with the connection
 * @param committed "tx:id" rows the surviving primary holds, in commit order
 * @param published "tx:id" rows in the change log, in its order, and "GAP" for each gap marker
 * @param consumerLog the consumer's output
 */
record FailoverRun(
    List<String> faults,
    int failovers,
    Set<Long> acknowledged,
    Set<Long> uncertain,
    List<String> committed,
    List<String> published,
    String consumerLog) {

  static final String SLOT = "pgtrickle_cdc_failover";
  static final String SLOT_RECREATED = "was missing after a reconnect and was created again";
  static final int MAX_FAULTS = 8;

  /**
   * Runs the scenario.
   *
   * @param waitForSlotCopy whether to wait, before each fault, for the synchronous standby's
   *     synchronized copy of the slot, and at the end for one on every standby (failover slots)
   */
  static FailoverRun run(PatroniCluster cluster, boolean waitForSlotCopy) throws Exception {
    Path dir = ServerProcess.targetDir("failover-" + cluster.name);
    Path consumerLog = dir.resolve("consumer.log");
    String changeLog = dir.resolve("log").toUri().toString();
    cluster.executeWhenSynchronous(LedgerWriter.CREATE_TABLE, "42P07");
    int httpPort = ServerProcess.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("PGTRICKLE_SOURCE_URL", cluster.serviceUrl());
    env.put("PGTRICKLE_SOURCE_USER", "postgres");
    env.put("PGTRICKLE_SOURCE_PASSWORD", cluster.password());
    env.put("PGTRICKLE_TABLES", "ledger");
    env.put("PGTRICKLE_SLOT", SLOT);
    env.put("PGTRICKLE_CHANGELOG_URI", changeLog);
    env.put("PGTRICKLE_HTTP_PORT", String.valueOf(httpPort));
    env.put("PGTRICKLE_RECONNECT_MIN_MS", "100");
    env.put("PGTRICKLE_RECONNECT_MAX_MS", "1000");
    env.put("PGTRICKLE_STATUS_INTERVAL_MS", "200");
    // The cluster's members, for the consumer's check for stale slot copies (StaleSlotCopies).
    HeadlessServiceHosts members = cluster.headlessServiceHosts(dir);
    env.put("PGTRICKLE_SOURCE_MEMBERS", members.name());
    Process consumer = Consumers.child(List.of(members.jvmOption()), env, consumerLog);
    List<String> faults = new ArrayList<>();
    int failovers = 0;
    LedgerWriter writer = null;
    try {
      Consumers.await(
          "the consumer streaming (log " + consumerLog + ")",
          Duration.ofSeconds(90),
          () -> Consumers.httpStatus(httpPort, "/readyz") == 200);
      writer = new LedgerWriter(cluster.serviceUrl(), "postgres", cluster.password());
      // On the test bed a deleted or crashed primary often comes back (same pod name, same
      // volume) while its Patroni leader lock is still valid, and simply stays primary: a restart,
      // not a failover. Faults alternate until two of them moved the primary to another member.
      for (int attempt = 0; failovers < 2 && attempt < MAX_FAULTS; attempt++) {
        String fault = attempt % 2 == 0 ? "delete" : "crash";
        LedgerWriter w = writer;
        long before = w.count();
        await("writes before the fault")
            .atMost(PatroniCluster.OBJECTIVE)
            .until(() -> w.count() >= before + 200);
        String primary = cluster.primaryPod();
        if (waitForSlotCopy) {
          cluster.awaitSlotSynchronizedOnStandby(SLOT);
        }
        // Read before the fault: a crash returns once the pod's processes are gone, and the writer
        // may have failed, and even reconnected to the same member back as primary, by then.
        long failuresBefore = w.failures.get();
        if (fault.equals("delete")) {
          cluster.deletePod(primary);
        } else {
          cluster.crash(primary);
        }
        await("the writer to notice the fault on " + primary)
            .atMost(PatroniCluster.OBJECTIVE)
            .until(() -> w.failures.get() > failuresBefore);
        long afterFault = w.count();
        await("writes on the new primary")
            .atMost(Duration.ofMinutes(2))
            .until(() -> w.count() >= afterFault + 200);
        cluster.awaitRunning();
        String next = cluster.primaryPod();
        if (next.equals(primary)) {
          faults.add(fault + " " + primary + " (came back as primary)");
        } else {
          faults.add(fault + " " + primary + " -> " + next);
          failovers++;
        }
      }
      writer.close();
      String end = cluster.queryOne("SELECT pg_current_wal_lsn()::text");
      Consumers.await(
          "the slot to confirm " + end + " (log " + consumerLog + ")",
          Duration.ofMinutes(2),
          () -> {
            String confirmed = cluster.queryOrNull(PatroniCluster.confirmedFlushSql(SLOT));
            return confirmed != null && !Lsn.parse(end).isAfter(Lsn.parse(confirmed));
          });
      if (waitForSlotCopy) {
        // The former primaries rejoined; the one the slot was created on had its own copy, which
        // the consumer drops so that its slot sync worker keeps a synchronized one.
        cluster.awaitSynchronizedCopyOnEveryStandby(SLOT);
      }
    } finally {
      if (writer != null) {
        writer.close();
      }
      consumer.destroy(); // SIGTERM: publishes what it read, confirms, exits
      if (!consumer.waitFor(30, TimeUnit.SECONDS)) {
        consumer.destroyForcibly();
      }
      members.close();
    }
    List<String> committed = cluster.committedLedger();
    long source = Long.parseLong(cluster.queryOne("SELECT 'ledger'::regclass::oid"));
    List<String> published;
    try (ChangeLogBackend changes = ChangeLogBackends.open(changeLog + "?consumer=verify")) {
      published = history(Consumers.readAll(changes, source));
    }
    String log = Files.readString(consumerLog, StandardCharsets.UTF_8);
    FailoverRun run =
        new FailoverRun(
            faults,
            failovers,
            Set.copyOf(writer.acknowledged),
            Set.copyOf(writer.uncertain),
            committed,
            published,
            log);
    System.out.printf(
        "faults %s (%d failovers): %d transactions acknowledged, %d commits uncertain, %d writer reconnects, %d"
            + " rows committed, %d changes in the change log, %d consumer reconnects, %d slots"
            + " re-created, %d stale slot copies dropped%n",
        faults,
        failovers,
        writer.acknowledged.size(),
        writer.uncertain.size(),
        writer.failures.get(),
        committed.size(),
        published.size(),
        log.lines().filter(l -> l.contains("replication stream ended")).count(),
        run.slotsRecreated(),
        run.staleSlotCopiesDropped());
    return run;
  }

  /** How often the consumer found its slot missing and created it again. */
  long slotsRecreated() {
    return consumerLog.lines().filter(l -> l.contains(SLOT_RECREATED)).count();
  }

  /** How often the consumer dropped a former primary's own copy of the slot on a standby. */
  long staleSlotCopiesDropped() {
    return consumerLog.lines().filter(l -> l.contains("dropped a stale copy")).count();
  }

  /** Every acknowledged transaction is on the surviving primary (synchronous mode). */
  void assertNoAcknowledgedCommitLost() {
    for (long tx : acknowledged) {
      assertThat(committed)
          .as("acknowledged transaction %d survived", tx)
          .contains(tx + ":" + (tx * 10 + 1));
    }
  }

  /**
   * "tx:id" of every row in the change log and "GAP" for each gap marker, in its order (positions
   * strictly increasing).
   */
  private static List<String> history(List<ChangeEvent> events) {
    List<String> out = new ArrayList<>();
    Lsn previous = Lsn.ZERO;
    for (ChangeEvent e : events) {
      assertThat(e.lsn()).isGreaterThan(previous);
      previous = e.lsn();
      if (e.action().name().equals("GAP")) {
        out.add("GAP");
        continue;
      }
      assertThat(e.action().name()).isEqualTo("INSERT");
      out.add(e.columns().get("tx") + ":" + e.columns().get("id"));
    }
    return out;
  }
}
