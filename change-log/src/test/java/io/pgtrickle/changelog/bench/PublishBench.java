package io.pgtrickle.changelog.bench;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.TestEvents;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Publish and consume measurements against one backend: {@code publishers} threads, each owning a
 * source and publishing batches back to back (the next batch after the previous one completed),
 * until a number of events or a time is reached.
 */
final class PublishBench {

  /** The outcome of one publish run. */
  record Result(long events, double seconds, double p50Ms, double p99Ms) {
    double eventsPerSecond() {
      return events / seconds;
    }
  }

  static final int EVENT_BYTES = 1024;

  private PublishBench() {}

  /** Publishes for {@code seconds} seconds. */
  static Result publishFor(
      ChangeLogBackend log, long firstSource, int publishers, int batch, double seconds)
      throws Exception {
    return publish(log, firstSource, publishers, batch, seconds, Long.MAX_VALUE);
  }

  /** Publishes {@code total} events (rounded up to whole batches per publisher). */
  static Result publishCount(
      ChangeLogBackend log, long firstSource, int publishers, int batch, long total)
      throws Exception {
    return publish(log, firstSource, publishers, batch, Double.POSITIVE_INFINITY, total);
  }

  private static Result publish(
      ChangeLogBackend log, long firstSource, int publishers, int batch, double seconds, long total)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(publishers);
    long deadline =
        Double.isInfinite(seconds) ? Long.MAX_VALUE : System.nanoTime() + (long) (seconds * 1e9);
    long perPublisher =
        total == Long.MAX_VALUE ? Long.MAX_VALUE : (total + publishers - 1) / publishers;
    AtomicLong events = new AtomicLong();
    List<Future<long[]>> latencies = new ArrayList<>();
    long start = System.nanoTime();
    for (int p = 0; p < publishers; p++) {
      long source = firstSource + p;
      latencies.add(
          pool.submit(
              () -> {
                // The row is built once: the caller's cost of making events is not the log's.
                ChangeEvent template = TestEvents.sized(source, 1, EVENT_BYTES);
                long[] samples = new long[1 << 16];
                int n = 0;
                long lsn = 0;
                long mine = 0;
                while (mine < perPublisher && System.nanoTime() < deadline) {
                  List<ChangeEvent> events1 = new ArrayList<>(batch);
                  for (int i = 0; i < batch; i++) {
                    ++lsn;
                    events1.add(
                        new ChangeEvent(
                            source,
                            Lsn.of(lsn),
                            lsn,
                            template.action(),
                            template.columns(),
                            null,
                            template.timestamp()));
                  }
                  long t0 = System.nanoTime();
                  log.publish(source, events1).toCompletableFuture().get(60, TimeUnit.SECONDS);
                  if (n == samples.length) {
                    samples = Arrays.copyOf(samples, n * 2);
                  }
                  samples[n++] = System.nanoTime() - t0;
                  events.addAndGet(batch);
                  mine += batch;
                }
                return Arrays.copyOf(samples, n);
              }));
    }
    List<Long> all = new ArrayList<>();
    for (Future<long[]> f : latencies) {
      for (long l : f.get()) {
        all.add(l);
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    all.sort(Long::compare);
    return new Result(events.get(), elapsed, percentile(all, 0.50), percentile(all, 0.99));
  }

  private static double percentile(List<Long> sorted, double q) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) (q * sorted.size()))) / 1e6;
  }

  /**
   * Reads every event of the sources with a fresh consumer, checking that each source's come in
   * order without a gap; returns events per second.
   */
  static double consume(Supplier<ChangeLogBackend> open, long firstSource, int sources, long total)
      throws Exception {
    try (ChangeLogBackend log = open.get()) {
      ExecutorService pool = Executors.newFixedThreadPool(sources);
      AtomicLong read = new AtomicLong();
      long start = System.nanoTime();
      List<Future<?>> readers = new ArrayList<>();
      for (int s = 0; s < sources; s++) {
        long source = firstSource + s;
        readers.add(
            pool.submit(
                () -> {
                  // Until everything is read, or nothing came for 30 s: an empty batch only means
                  // nothing arrived within pollMs, which a loaded machine makes common.
                  long quietSince = System.nanoTime();
                  long next = 1; // publishers number a source's events 1, 2, 3, ...
                  while (read.get() < total
                      && System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(30)) {
                    List<ChangeEvent> batch =
                        log.consume(source, Lsn.ZERO)
                            .toCompletableFuture()
                            .get(60, TimeUnit.SECONDS);
                    for (ChangeEvent e : batch) {
                      if (e.lsn().value() != next) { // a lost or repeated event, not just a count
                        throw new IllegalStateException(
                            "source " + source + ": after LSN " + (next - 1) + " came " + e.lsn());
                      }
                      next++;
                    }
                    read.addAndGet(batch.size());
                    if (batch.isEmpty()) {
                      Thread.sleep(5); // PostgreSQL and WAL files answer at once: no busy loop
                    } else {
                      quietSince = System.nanoTime();
                    }
                    if (!batch.isEmpty()) {
                      log.acknowledge(source, batch.get(batch.size() - 1).lsn())
                          .toCompletableFuture()
                          .get(60, TimeUnit.SECONDS);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : readers) {
        f.get(300, TimeUnit.SECONDS);
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      if (read.get() < total) {
        throw new IllegalStateException("consumed " + read.get() + " of " + total + " events");
      }
      return read.get() / elapsed;
    }
  }
}
