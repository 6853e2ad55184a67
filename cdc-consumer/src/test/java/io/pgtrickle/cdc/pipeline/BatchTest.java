package io.pgtrickle.cdc.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchTest {

  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

  /** An event of the transaction whose commit record starts at {@code commit}. */
  private static ChangeEvent event(long commit, int index) {
    return ChangeEvent.insert(16384, Lsn.of(commit, index), 7, Map.of("id", index), AT);
  }

  @Test
  void aWholeTransactionNeedsItsCommitEndDurable() {
    Batch batch = new Batch();
    batch.add(event(1000, 1));
    batch.add(event(1000, 2));
    batch.commit(Lsn.of(1040), AT);
    assertThat(batch.requiredDurable()).isEqualTo(Lsn.of(1040));
  }

  @Test
  void aTransactionCutByTheBatchNeedsPastTheStartOfItsCommit() {
    Batch batch = new Batch();
    batch.add(event(1000, 1));
    batch.commit(Lsn.of(1040), AT);
    batch.add(event(5000, 1)); // commit of the next transaction comes in a later batch
    assertThat(batch.requiredDurable()).isEqualTo(Lsn.of(5001));
  }

  @Test
  void theHoldCountsFromTheFirstEventReceived() throws Exception {
    Batch batch = new Batch();
    assertThat(batch.receivedNanos()).isZero();
    long before = System.nanoTime();
    batch.add(event(1000, 1));
    long first = batch.receivedNanos();
    assertThat(first).isBetween(before, System.nanoTime());
    Thread.sleep(2);
    batch.add(event(1000, 2));
    batch.commit(Lsn.of(1040), AT);
    assertThat(batch.receivedNanos()).as("later events keep the first's time").isEqualTo(first);
  }

  @Test
  void anEmptyBatchNeedsNothing() {
    assertThat(new Batch().requiredDurable()).isEqualTo(Lsn.ZERO);
  }
}
