package io.pgtrickle.changelog.wal;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.longs;
import static io.pgtrickle.changelog.support.TestEvents.lsns;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackendConformance;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.changelog.support.TestEvents;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The conformance suite and the WAL file specifics: torn tails, rotation, retention. */
class WalBackendIT extends ChangeLogBackendConformance {

  private static Path base;

  @BeforeAll
  static void baseDirectory() {
    base = ServerProcess.targetDir("wal");
  }

  @Override
  protected String uri(String namespace, String consumer) {
    return "file://" + base.resolve(namespace) + "?consumer=" + consumer;
  }

  @Override
  protected void restartServer() {
    // No server: closing and reopening the directory is the restart, and recovery runs then.
  }

  @Override
  protected Map<String, String> badConfigurations() {
    return Map.of(
        "file:relative/dir", "uri",
        "file:///tmp/x?segmentMb=0", "segmentMb",
        "file:///tmp/x?segmentMB=1", "segmentMB",
        "file:///tmp/x?consumer=a.b", "consumer",
        "file://tmp/x", "uri",
        "file:///proc/version/cannot-be-a-directory", "uri",
        "wal:///tmp/x", "uri");
  }

  private Path dir() {
    return base.resolve(namespace);
  }

  @Test
  void aTornTailIsTruncatedAtOpenAndTheLogGoesOn() throws IOException {
    ChangeLogBackend b = open("worker");
    await(b.publish(1, range(1, 1, 5)));
    close(b);
    Path segment = onlySegment();
    long good = Files.size(segment);
    byte[] frame = WalRecord.frame(1, Lsn.of(6), new byte[300]);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap(frame, 0, frame.length / 2)); // a write cut short by a crash
    }

    ChangeLogBackend reopened = open("worker");
    assertThat(Files.size(segment)).isEqualTo(good);
    assertThat(lsns(drain(reopened, 1, Lsn.ZERO, 5))).isEqualTo(longs(1, 5));
    await(reopened.publish(1, range(1, 6, 7)));
    assertThat(lsns(drain(reopened, 1, Lsn.ZERO, 2))).isEqualTo(longs(6, 7));
  }

  @Test
  void aCorruptRecordInTheTailIsTruncatedWithEverythingAfterIt() throws IOException {
    ChangeLogBackend b = open("worker");
    await(b.publish(1, range(1, 1, 3)));
    close(b);
    Path segment = onlySegment();
    long size = Files.size(segment);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {42}), size - 10); // flip a byte in the last event
    }
    ChangeLogBackend reopened = open("worker");
    assertThat(lsns(drain(reopened, 1, Lsn.ZERO, 2))).isEqualTo(longs(1, 2));
    assertThat(Files.size(segment)).isLessThan(size);
  }

  @Test
  void segmentsRotateAndAreDeletedOnceEveryConsumerAcknowledgedThem() {
    String uri = "file://" + dir() + "?segmentMb=1&consumer=";
    ChangeLogBackend a = ChangeLogBackends.open(uri + "a");
    await(a.publish(3, rangeOfSize(3, 1, 3000)));
    a.close();
    ChangeLogBackend b = ChangeLogBackends.open(uri + "b");
    assertThat(((WalBackend) b).segmentCount()).isGreaterThanOrEqualTo(3);
    assertThat(drain(b, 3, Lsn.ZERO, 3000)).hasSize(3000);
    await(b.acknowledge(3, Lsn.of(3000)));
    int afterB = ((WalBackend) b).segmentCount();
    assertThat(afterB).as("consumer a has not acknowledged").isGreaterThanOrEqualTo(3);
    b.close();
    ChangeLogBackend a2 = ChangeLogBackends.open(uri + "a");
    await(a2.acknowledge(3, Lsn.of(3000)));
    assertThat(((WalBackend) a2).segmentCount()).isEqualTo(1);
    assertThat(await(a2.lag(3))).isZero();
    await(a2.publish(3, TestEvents.range(3, 3001, 3002)));
    assertThat(lsns(drain(a2, 3, Lsn.ZERO, 2))).isEqualTo(longs(3001, 3002));
    a2.close();
  }

  /**
   * An instance opened without {@code consumer=} that only publishes keeps no segment for itself.
   */
  @Test
  void anInstanceThatOnlyPublishesRegistersNoConsumer() throws Exception {
    String uri = "file://" + dir() + "?segmentMb=1";
    ChangeLogBackend worker = ChangeLogBackends.open(uri + "&consumer=worker");
    worker.close(); // registered, no position yet
    ChangeLogBackend publisher = ChangeLogBackends.open(uri);
    await(publisher.publish(3, rangeOfSize(3, 1, 3000)));
    publisher.close();
    assertThat(consumerFiles()).containsExactly("worker.pos");
    ChangeLogBackend w = ChangeLogBackends.open(uri + "&consumer=worker");
    assertThat(drain(w, 3, Lsn.ZERO, 3000)).hasSize(3000);
    await(w.acknowledge(3, Lsn.of(3000)));
    assertThat(((WalBackend) w).segmentCount()).as("no `default` holds them").isEqualTo(1);
    w.close();
    // An unnamed instance that reads is the consumer `default` from its first read on; it finds
    // only what is left in the last segment (retention deletes whole sealed segments).
    ChangeLogBackend reader = ChangeLogBackends.open(uri);
    assertThat(TestEvents.drainQuiet(reader, 3)).hasSizeLessThan(3000);
    reader.close();
    assertThat(consumerFiles()).containsExactly("default.pos", "worker.pos");
  }

  private List<String> consumerFiles() throws IOException {
    try (var files = Files.list(dir().resolve("consumers"))) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  private static List<io.pgtrickle.changelog.ChangeEvent> rangeOfSize(long s, int from, int to) {
    return java.util.stream.IntStream.rangeClosed(from, to)
        .mapToObj(l -> TestEvents.sized(s, l, 1024))
        .toList();
  }

  @Test
  void aSecondInstanceCannotOpenTheSameDirectory() {
    open("worker");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> open("other"))
        .isInstanceOf(io.pgtrickle.changelog.ChangeLogConfigException.class)
        .hasMessageContaining("in use");
  }

  private Path onlySegment() throws IOException {
    try (Stream<Path> files = Files.list(dir())) {
      List<Path> segments = files.filter(f -> f.toString().endsWith(".wal")).toList();
      assertThat(segments).hasSize(1);
      return segments.get(0);
    }
  }
}
