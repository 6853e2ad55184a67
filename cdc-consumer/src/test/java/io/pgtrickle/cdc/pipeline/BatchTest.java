package io.pgtrickle.cdc.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchTest {

  private static final Instant T1 = Instant.parse("2026-11-21T10:00:00Z");
  private static final Instant T2 = Instant.parse("2026-11-21T10:00:01Z");

  private static ChangeEvent event(long source, long lsn, int seq) {
    return ChangeEvent.insert(source, Lsn.of(lsn, seq), 7, Map.of("id", seq), T1);
  }

  @Test
  void appendKeepsStreamOrderPerSourceAndTakesTheLaterCommit() {
    Batch first = new Batch();
    first.add(event(1, 100, 0));
    first.add(event(2, 100, 1));
    first.commit(Lsn.of(150), T1);
    first.add(event(1, 200, 0)); // a transaction cut by the batch size limit
    Batch second = new Batch();
    second.add(event(1, 200, 1));
    second.add(event(2, 200, 2));
    second.commit(Lsn.of(250), T2);

    first.append(second);

    assertThat(first.size()).isEqualTo(5);
    assertThat(first.lastCommitEnd()).isEqualTo(Lsn.of(250));
    assertThat(first.commitTimes()).containsExactly(T1, T2);
    Map<Long, List<ChangeEvent>> bySource = first.bySource();
    assertThat(bySource.get(1L))
        .extracting(ChangeEvent::lsn)
        .containsExactly(Lsn.of(100, 0), Lsn.of(200, 0), Lsn.of(200, 1));
    assertThat(bySource.get(2L))
        .extracting(ChangeEvent::lsn)
        .containsExactly(Lsn.of(100, 1), Lsn.of(200, 2));
  }

  @Test
  void appendingABatchWithoutACommitKeepsTheLastCommit() {
    Batch first = new Batch();
    first.add(event(1, 100, 0));
    first.commit(Lsn.of(150), T1);
    Batch open = new Batch();
    open.add(event(1, 200, 0));

    first.append(open);

    assertThat(first.lastCommitEnd()).isEqualTo(Lsn.of(150));
    assertThat(first.commitTimes()).containsExactly(T1);
    assertThat(first.size()).isEqualTo(2);
  }
}
