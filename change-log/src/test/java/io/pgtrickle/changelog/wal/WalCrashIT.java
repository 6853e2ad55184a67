package io.pgtrickle.changelog.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.changelog.support.TestEvents;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kills a writer process with SIGKILL at random points, several times over the same directory, and
 * checks after each kill that recovery keeps every publish the writer saw acknowledged, in order
 * and without gaps, and that the log takes new writes.
 */
class WalCrashIT {

  private static final int RUNS = 4;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void everyAcknowledgedPublishSurvivesSigkill() throws Exception {
    Path dir = ServerProcess.targetDir("wal-crash");
    Random random = new Random(20260530L);
    Map<Long, Map<Long, Long>> ackedByRun = new ConcurrentHashMap<>();
    for (long run = 1; run <= RUNS; run++) {
      Map<Long, Long> acked = new ConcurrentHashMap<>();
      ackedByRun.put(run, acked);
      runAndKill(dir, run, acked, 40 + random.nextInt(400), random.nextInt(300));
      assertThat(acked).as("run %d acknowledged something before the kill", run).isNotEmpty();
      verify(dir, ackedByRun);
    }
  }

  private static void runAndKill(
      Path dir, long run, Map<Long, Long> acked, int acksBeforeKill, int extraMillis)
      throws Exception {
    Process writer =
        new ProcessBuilder(
                ServerProcess.javaExecutable(),
                "-Xmx512m",
                "-cp",
                ServerProcess.testClassPath(),
                WalCrashWriter.class.getName(),
                dir.toString(),
                Long.toString(run))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    AtomicInteger acks = new AtomicInteger();
    CountDownLatch enough = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  String[] parts = line.split(" ");
                  if (parts.length == 3 && parts[0].equals("ACK")) {
                    acked.merge(Long.parseLong(parts[1]), Long.parseLong(parts[2]), Math::max);
                    if (acks.incrementAndGet() >= acksBeforeKill) {
                      enough.countDown();
                    }
                  }
                }
              } catch (java.io.IOException closedByKill) {
                // The pipe breaks when the writer dies; what was read is what counts.
              }
            });
    reader.start();
    boolean reached = enough.await(60, TimeUnit.SECONDS);
    Thread.sleep(extraMillis);
    writer.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
    assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
    reader.join(10_000);
    assertThat(reached)
        .as("writer run %d published %d times before the kill", run, acksBeforeKill)
        .isTrue();
  }

  private static void verify(Path dir, Map<Long, Map<Long, Long>> ackedByRun) {
    try (ChangeLogBackend log = ChangeLogBackends.open("file://" + dir + "?consumer=checker")) {
      for (long source = 1; source <= WalCrashWriter.SOURCES; source++) {
        List<ChangeEvent> all = readAll(log, source);
        Lsn previous = Lsn.ZERO;
        for (ChangeEvent e : all) {
          assertThat(e.lsn()).as("source %d order", source).isGreaterThan(previous);
          previous = e.lsn();
        }
        for (Map.Entry<Long, Map<Long, Long>> run : ackedByRun.entrySet()) {
          long base = run.getKey() * WalCrashWriter.RUN_SPAN;
          List<Long> ofRun =
              all.stream()
                  .map(e -> e.lsn().value())
                  .filter(l -> l > base && l < base + WalCrashWriter.RUN_SPAN)
                  .toList();
          long acked = run.getValue().getOrDefault(source, base);
          assertThat(ofRun.size())
              .as("run %d source %d: no gaps", run.getKey(), source)
              .isEqualTo(ofRun.isEmpty() ? 0 : (int) (ofRun.get(ofRun.size() - 1) - base));
          assertThat(ofRun.isEmpty() ? base : ofRun.get(ofRun.size() - 1))
              .as("run %d source %d: every acknowledged publish is there", run.getKey(), source)
              .isGreaterThanOrEqualTo(acked);
        }
      }
      long source = 99;
      TestEvents.await(log.publish(source, TestEvents.range(source, 1, 3)));
      assertThat(TestEvents.drain(log, source, Lsn.ZERO, 3)).hasSize(3);
    }
  }

  private static List<ChangeEvent> readAll(ChangeLogBackend log, long source) {
    List<ChangeEvent> all = new ArrayList<>();
    while (true) {
      List<ChangeEvent> batch = TestEvents.await(log.consume(source, Lsn.ZERO));
      if (batch.isEmpty()) {
        return all;
      }
      all.addAll(batch);
    }
  }
}
