package io.pgtrickle.e2e;

import static org.awaitility.Awaitility.await;

import io.pgtrickle.operator.testbed.HaCluster;
import java.time.Duration;
import org.awaitility.core.ConditionTimeoutException;

/** Faults of a PostgresCluster's primary that end in a failover, for the pipeline tests. */
final class PrimaryFaults {

  private PrimaryFaults() {}

  /**
   * Crashes the primary's pod (its PostgreSQL and Patroni SIGKILLed) until another member is
   * primary: on the test bed a crashed primary sometimes comes back while its leader lock is still
   * valid and stays primary (a restart, not a failover), so a second fault deletes the pod, and so
   * on, up to four faults.
   *
   * @param postgres the cluster
   * @param beforeEachFault waits for what the test wants before each fault (replication healthy, a
   *     ready slot copy)
   * @return what happened, e.g. "crash pg-0 -> pg-1"
   * @throws AssertionError if no fault moved the primary
   */
  static String failover(HaCluster postgres, Runnable beforeEachFault) {
    StringBuilder faults = new StringBuilder();
    for (int attempt = 0; attempt < 4; attempt++) {
      beforeEachFault.run();
      String primary = postgres.primaryPod();
      String fault = attempt % 2 == 0 ? "crash" : "delete";
      if (attempt % 2 == 0) {
        postgres.pods().crash(primary);
      } else {
        postgres.deletePod(primary);
      }
      try {
        String next =
            await("another member primary after the " + fault + " of " + primary)
                .atMost(Duration.ofSeconds(90))
                .ignoreExceptions()
                .until(
                    () -> postgres.cluster().getStatus().getPrimaryPod(),
                    p -> p != null && !p.equals(primary));
        return faults.append(fault + " " + primary + " -> " + next).toString();
      } catch (ConditionTimeoutException e) {
        faults.append(fault + " " + primary + " (came back as primary); ");
      }
    }
    throw new AssertionError("no failover: " + faults);
  }
}
