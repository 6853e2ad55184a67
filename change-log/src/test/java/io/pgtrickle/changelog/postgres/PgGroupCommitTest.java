package io.pgtrickle.changelog.postgres;

import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.postgres.PgPublishGroups.Request;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scheduling of group commit, with a writer that records groups instead of a server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PgGroupCommitTest {

  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final List<List<Request>> written = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private final CountDownLatch entered = new CountDownLatch(1);

  /** Counts down {@code entered}, waits for {@code gate}, records the group and completes it. */
  private Consumer<List<Request>> recording(CountDownLatch gate) {
    return group -> {
      entered.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      written.add(List.copyOf(group));
      group.forEach(r -> r.done().complete(null));
    };
  }

  @Test
  void publishesThatWaitWhileTheWriterIsBusyGoOutAsOneGroup() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    PgGroupCommit commit = new PgGroupCommit(pool, 1, 100, recording(gate));
    CompletableFuture<Void> first = commit.submit(1, range(1, 1, 1)).toCompletableFuture();
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<Void>> waiting = new ArrayList<>();
    for (long s = 2; s <= 6; s++) {
      waiting.add(commit.submit(s, range(s, 1, 3)).toCompletableFuture());
    }
    assertThat(first).isNotDone();
    gate.countDown();
    first.get(10, TimeUnit.SECONDS);
    for (CompletableFuture<Void> f : waiting) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertThat(written).hasSize(2);
    assertThat(written.get(0)).extracting(Request::sourceOid).containsExactly(1L);
    assertThat(written.get(1)).extracting(Request::sourceOid).containsExactly(2L, 3L, 4L, 5L, 6L);
  }

  @Test
  void groupsRespectTheEventLimit() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    PgGroupCommit commit = new PgGroupCommit(pool, 1, 6, recording(gate));
    List<CompletableFuture<Void>> all = new ArrayList<>();
    all.add(commit.submit(1, range(1, 1, 3)).toCompletableFuture());
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    for (long s = 2; s <= 5; s++) {
      all.add(commit.submit(s, range(s, 1, 3)).toCompletableFuture());
    }
    gate.countDown();
    for (CompletableFuture<Void> f : all) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertThat(written).extracting(List::size).containsExactly(1, 2, 2);
  }

  @Test
  void everyPublishIsWrittenOnceAndEachSourceInOrderUnderConcurrency() throws Exception {
    PgGroupCommit commit = new PgGroupCommit(pool, 2, 50, recording(new CountDownLatch(0)));
    ExecutorService publishers = Executors.newFixedThreadPool(8);
    List<Future<?>> done = new ArrayList<>();
    for (long s = 1; s <= 8; s++) {
      long source = s;
      done.add(
          publishers.submit(
              () -> {
                for (long lsn = 1; lsn <= 300; lsn++) {
                  commit.submit(source, range(source, lsn, lsn)).toCompletableFuture().join();
                }
              }));
    }
    for (Future<?> f : done) {
      f.get(30, TimeUnit.SECONDS);
    }
    publishers.shutdown();
    long[] next = new long[9];
    int requests = 0;
    for (List<Request> group : written) {
      assertThat(group.size()).isBetween(1, 8);
      for (Request r : group) {
        long lsn = r.events().get(0).lsn().value();
        assertThat(lsn).as("source %d", r.sourceOid()).isEqualTo(++next[(int) r.sourceOid()]);
        requests++;
      }
    }
    assertThat(requests).isEqualTo(8 * 300);
  }

  @Test
  void aWriterThatThrowsFailsItsGroupAndTheNextGroupStillGoesOut() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    PgGroupCommit commit =
        new PgGroupCommit(
            pool,
            1,
            100,
            group -> {
              if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("broken writer");
              }
              group.forEach(r -> r.done().complete(null));
            });
    CompletableFuture<Void> first = commit.submit(1, range(1, 1, 1)).toCompletableFuture();
    assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("broken writer");
    commit.submit(2, range(2, 1, 1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aClosedPoolFailsThePublishAsClosed() {
    pool.shutdown();
    PgGroupCommit commit = new PgGroupCommit(pool, 2, 100, recording(new CountDownLatch(0)));
    CompletableFuture<Void> f = commit.submit(1, range(1, 1, 1)).toCompletableFuture();
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(ChangeLogException.class)
        .hasMessageContaining("change log is closed");
    // The writer count went back: a later publish is refused the same way, not left waiting.
    CompletableFuture<Void> g = commit.submit(1, range(1, 2, 2)).toCompletableFuture();
    assertThat(g).isCompletedExceptionally();
  }
}
