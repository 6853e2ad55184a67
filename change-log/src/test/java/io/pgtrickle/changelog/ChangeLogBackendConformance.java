package io.pgtrickle.changelog;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.drainQuiet;
import static io.pgtrickle.changelog.support.TestEvents.longs;
import static io.pgtrickle.changelog.support.TestEvents.lsns;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.support.TestEvents;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link ChangeLogBackend}, run against every backend with a real server. Each test
 * gets its own namespace (schema, directory, stream or topic), so tests never see each other's
 * events.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ChangeLogBackendConformance {

  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  private final List<ChangeLogBackend> opened = new ArrayList<>();
  protected String namespace;

  /** The URI of the backend for a namespace and consumer name. */
  protected abstract String uri(String namespace, String consumer);

  /** Restarts the server process (or, for files, nothing: reopening is the restart). */
  protected abstract void restartServer();

  /** Settings that are wrong, each with the setting the error must name. */
  protected abstract Map<String, String> badConfigurations();

  @BeforeEach
  void newNamespace() {
    namespace = "t" + ProcessHandle.current().pid() + "x" + NAMESPACES.incrementAndGet();
  }

  @AfterEach
  void closeAll() {
    opened.forEach(ChangeLogBackend::close);
  }

  protected ChangeLogBackend open(String consumer) {
    ChangeLogBackend b = ChangeLogBackends.open(uri(namespace, consumer));
    opened.add(b);
    return b;
  }

  protected void close(ChangeLogBackend b) {
    b.close();
    opened.remove(b);
  }

  @Test
  void publishedEventsComeBackExactly() {
    ChangeLogBackend b = open("worker");
    List<ChangeEvent> events = range(16384, 1, 20);
    events.add(
        new ChangeEvent(
            16384, Lsn.of(21), 7, ChangeAction.DELETE, null, Map.of("id", 1L), Instant.EPOCH));
    events.add(
        new ChangeEvent(16384, Lsn.of(22), 7, ChangeAction.TRUNCATE, null, null, Instant.EPOCH));
    events.add(ChangeEvent.gap(16384, Lsn.of(23), 0, Instant.EPOCH));
    events.add(ChangeEvent.insert(16384, Lsn.of(23, 1), 8, Map.of("id", 2L), Instant.EPOCH));
    await(b.publish(16384, events));
    List<ChangeEvent> got = drain(b, 16384, Lsn.ZERO, events.size());
    assertThat(got).containsExactlyElementsOf(events);
  }

  @Test
  void eachSourceIsDeliveredInTotalOrderWhileManyArePublishedAtOnce() throws Exception {
    ChangeLogBackend b = open("worker");
    int sources = 12;
    int batches = 10;
    int perBatch = 15;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> publishers = new ArrayList<>();
      for (int s = 0; s < sources; s++) {
        long source = 20_000 + s;
        publishers.add(
            pool.submit(
                () -> {
                  for (int k = 0; k < batches; k++) {
                    long first = (long) k * perBatch + 1;
                    await(b.publish(source, range(source, first, first + perBatch - 1)));
                  }
                  return null;
                }));
      }
      List<CompletableFuture<List<ChangeEvent>>> readers = new ArrayList<>();
      for (int s = 0; s < sources; s++) {
        long source = 20_000 + s;
        readers.add(
            CompletableFuture.supplyAsync(
                () -> drain(b, source, Lsn.ZERO, batches * perBatch), pool));
      }
      for (Future<?> p : publishers) {
        p.get(60, TimeUnit.SECONDS);
      }
      for (int s = 0; s < sources; s++) {
        List<ChangeEvent> got = readers.get(s).get(60, TimeUnit.SECONDS);
        assertThat(lsns(got)).as("source %d", 20_000 + s).isEqualTo(longs(1, batches * perBatch));
        assertThat(got).allMatch(e -> e.sourceOid() == got.get(0).sourceOid());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void unacknowledgedEventsAreRedeliveredAfterACrashAndAcknowledgedOnesAreNot() {
    ChangeLogBackend first = open("worker");
    await(first.publish(7, range(7, 1, 10)));
    assertThat(lsns(drain(first, 7, Lsn.ZERO, 10))).isEqualTo(longs(1, 10));
    await(first.acknowledge(7, Lsn.of(4)));
    close(first); // a crash as far as the log can tell: 5..10 were delivered, never acknowledged

    ChangeLogBackend second = open("worker");
    assertThat(lsns(drain(second, 7, Lsn.ZERO, 6))).isEqualTo(longs(5, 10));
    assertThat(drainQuiet(second, 7)).isEmpty();
    await(second.acknowledge(7, Lsn.of(10)));
    close(second);

    ChangeLogBackend third = open("worker");
    assertThat(drainQuiet(third, 7)).isEmpty();
    assertThat(await(third.lag(7))).isZero();
  }

  @Test
  void republishingIsIdempotentBySourceAndLsn() {
    ChangeLogBackend b = open("worker");
    await(b.publish(9, range(9, 1, 10)));
    assertThat(lsns(drain(b, 9, Lsn.ZERO, 10))).isEqualTo(longs(1, 10));
    await(b.acknowledge(9, Lsn.of(5)));
    await(b.publish(9, range(9, 1, 10)));
    await(b.publish(9, range(9, 3, 15)));
    assertThat(lsns(drain(b, 9, Lsn.ZERO, 5))).isEqualTo(longs(11, 15));
    assertThat(drainQuiet(b, 9)).isEmpty();
    close(b); // 6..15 delivered, not acknowledged

    ChangeLogBackend again = open("worker");
    assertThat(lsns(drain(again, 9, Lsn.ZERO, 10))).isEqualTo(longs(6, 15));
    assertThat(drainQuiet(again, 9)).isEmpty();
    await(again.acknowledge(9, Lsn.of(15)));
    await(again.publish(9, range(9, 10, 16)));
    assertThat(lsns(drain(again, 9, Lsn.ZERO, 1))).isEqualTo(List.of(16L));
    assertThat(drainQuiet(again, 9)).isEmpty();
  }

  @Test
  void subPositionsOrderTheChangesOfOneCommit() {
    // A transaction's changes share the commit LSN and differ by sub-position (seq).
    ChangeLogBackend b = open("worker");
    List<ChangeEvent> first = new ArrayList<>();
    for (int seq = 0; seq < 4; seq++) {
      first.add(
          ChangeEvent.insert(16, Lsn.of(100, seq), 5, Map.of("n", (long) seq), Instant.EPOCH));
    }
    List<ChangeEvent> second =
        List.of(
            ChangeEvent.insert(16, Lsn.of(101), 6, Map.of("n", 4L), Instant.EPOCH),
            ChangeEvent.insert(16, Lsn.of(101, 3), 6, Map.of("n", 5L), Instant.EPOCH));
    await(b.publish(16, first));
    await(b.publish(16, first.subList(0, 2))); // a re-publish of the same commit: no-op
    await(b.publish(16, second));
    List<ChangeEvent> read = drain(b, 16, Lsn.ZERO, 6);
    assertThat(read)
        .extracting(ChangeEvent::lsn)
        .containsExactly(
            Lsn.of(100),
            Lsn.of(100, 1),
            Lsn.of(100, 2),
            Lsn.of(100, 3),
            Lsn.of(101),
            Lsn.of(101, 3));
    assertThat(drainQuiet(b, 16)).isEmpty();
    await(b.acknowledge(16, Lsn.of(100, 2)));
    assertThat(await(b.lag(16))).isEqualTo(3);
    close(b);
    ChangeLogBackend again = open("worker");
    assertThat(drain(again, 16, Lsn.ZERO, 3))
        .extracting(ChangeEvent::lsn)
        .containsExactly(Lsn.of(100, 3), Lsn.of(101), Lsn.of(101, 3));
    close(again);
    ChangeLogBackend from = open("other");
    assertThat(drain(from, 16, Lsn.of(100, 2).next(), 3))
        .extracting(ChangeEvent::lsn)
        .containsExactly(Lsn.of(100, 3), Lsn.of(101), Lsn.of(101, 3));
  }

  @Test
  void republishedEventsAreSeenOnceInOrder() {
    ChangeLogBackend b = open("worker");
    await(b.publish(9, range(9, 1, 10)));
    await(b.publish(9, range(9, 1, 10)));
    await(b.publish(9, range(9, 3, 15)));
    assertThat(lsns(drain(b, 9, Lsn.ZERO, 15))).isEqualTo(longs(1, 15));
    assertThat(drainQuiet(b, 9)).isEmpty();
  }

  @Test
  void lagCountsWhatThisConsumerHasNotAcknowledged() {
    ChangeLogBackend b = open("worker");
    assertThat(await(b.lag(11))).isZero();
    await(b.publish(11, range(11, 1, 10)));
    assertThat(await(b.lag(11))).isEqualTo(10);
    drain(b, 11, Lsn.ZERO, 10);
    assertThat(await(b.lag(11))).as("delivered is not acknowledged").isEqualTo(10);
    await(b.acknowledge(11, Lsn.of(4)));
    assertThat(await(b.lag(11))).isEqualTo(6);
    await(b.acknowledge(11, Lsn.of(2)));
    assertThat(await(b.lag(11))).as("acknowledgments never move back").isEqualTo(6);
    await(b.acknowledge(11, Lsn.of(10)));
    assertThat(await(b.lag(11))).isZero();
  }

  @Test
  void namedConsumersKeepTheirOwnPositions() {
    // A consumer holds back pruning once it has opened: register both first.
    close(open("alpha"));
    close(open("bravo"));
    ChangeLogBackend alpha = open("alpha");
    await(alpha.publish(12, range(12, 1, 8)));
    assertThat(lsns(drain(alpha, 12, Lsn.ZERO, 8))).isEqualTo(longs(1, 8));
    await(alpha.acknowledge(12, Lsn.of(8)));
    assertThat(await(alpha.lag(12))).isZero();
    close(alpha); // the WAL backend allows one instance per directory at a time

    ChangeLogBackend bravo = open("bravo");
    assertThat(await(bravo.lag(12))).isEqualTo(8);
    assertThat(lsns(drain(bravo, 12, Lsn.ZERO, 8))).isEqualTo(longs(1, 8));
    close(bravo);

    ChangeLogBackend alphaAgain = open("alpha");
    assertThat(drainQuiet(alphaAgain, 12)).isEmpty();
  }

  @Test
  void fromLsnSkipsEventsTheConsumerAlreadyApplied() {
    ChangeLogBackend b = open("worker");
    await(b.publish(13, range(13, 1, 10)));
    assertThat(lsns(drain(b, 13, Lsn.of(7), 4))).isEqualTo(longs(7, 10));
  }

  @Test
  void eventsSurviveARestartOfTheBackend() {
    ChangeLogBackend b = open("worker");
    await(b.publish(14, range(14, 1, 20)));
    await(b.publish(15, range(15, 1, 5)));
    assertThat(lsns(drain(b, 14, Lsn.ZERO, 20))).isEqualTo(longs(1, 20));
    await(b.acknowledge(14, Lsn.of(12)));
    close(b);
    restartServer();
    ChangeLogBackend after = open("worker");
    assertThat(lsns(drain(after, 14, Lsn.ZERO, 8))).isEqualTo(longs(13, 20));
    assertThat(lsns(drain(after, 15, Lsn.ZERO, 5))).isEqualTo(longs(1, 5));
    await(after.publish(14, range(14, 21, 22)));
    assertThat(lsns(drain(after, 14, Lsn.ZERO, 2))).isEqualTo(longs(21, 22));
  }

  @Test
  void eventsThatBreakTheContractAreRefused() {
    ChangeLogBackend b = open("worker");
    assertRefused(b.publish(1, List.of(TestEvents.event(2, 1))), "source_oid 2");
    assertRefused(
        b.publish(1, List.of(TestEvents.event(1, 5), TestEvents.event(1, 5))), "strictly");
    assertRefused(
        b.publish(1, List.of(TestEvents.event(1, 5), TestEvents.event(1, 4))), "strictly");
    assertRefused(b.publish(-1, List.of()), "not an OID");
    List<ChangeEvent> withNull = new ArrayList<>();
    withNull.add(null);
    assertRefused(b.publish(1, withNull), "null");
    assertThat(drainQuiet(b, 1)).isEmpty();
  }

  private static void assertRefused(
      java.util.concurrent.CompletionStage<Void> stage, String message) {
    assertThatThrownBy(() -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(MalformedEventException.class)
        .cause()
        .hasMessageContaining(message);
  }

  @Test
  void wrongOrUnreachableConfigurationFailsNamingTheSetting() {
    for (Map.Entry<String, String> bad : badConfigurations().entrySet()) {
      assertThatThrownBy(() -> ChangeLogBackends.open(bad.getKey()))
          .as(bad.getKey())
          .isInstanceOf(ChangeLogConfigException.class)
          .satisfies(
              e ->
                  assertThat(((ChangeLogConfigException) e).setting())
                      .as(e.getMessage())
                      .isEqualTo(bad.getValue()));
    }
  }
}
