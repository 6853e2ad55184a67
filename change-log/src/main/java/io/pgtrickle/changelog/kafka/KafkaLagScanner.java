package io.pgtrickle.changelog.kafka;

import io.pgtrickle.changelog.Lsn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * Counts a source's events that the reader has not fetched yet, by reading the partition from the
 * reader's position to its current end. Exact, but it costs a read of that stretch: call {@code
 * lag} at metric intervals, not per event. A separate consumer without a group, so it never moves
 * the committed offsets.
 */
final class KafkaLagScanner implements AutoCloseable {

  private final Properties properties;
  private KafkaConsumer<byte[], byte[]> consumer;

  KafkaLagScanner(Properties properties) {
    this.properties = properties;
  }

  long countNewer(TopicPartition tp, long from, long sourceOid, Lsn seen) {
    if (consumer == null) {
      consumer = new KafkaConsumer<>(properties);
    }
    consumer.assign(List.of(tp));
    long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
    if (from >= end) {
      return 0;
    }
    consumer.seek(tp, from);
    String key = Long.toString(sourceOid);
    Lsn highest = seen;
    long count = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (consumer.position(tp) < end && System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        if (r.offset() >= end || !key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
          continue;
        }
        Header h = r.headers().lastHeader(KafkaBackend.LSN_HEADER);
        Lsn lsn = Lsn.parse(new String(h.value(), StandardCharsets.UTF_8));
        if (lsn.isAfter(highest)) {
          highest = lsn;
          count++;
        }
      }
    }
    return count;
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
