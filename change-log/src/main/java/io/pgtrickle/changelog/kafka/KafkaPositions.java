package io.pgtrickle.changelog.kafka;

import io.pgtrickle.changelog.Lsn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Acknowledged LSNs per (consumer, source) in a compacted topic {@code <topic>.positions}, key
 * {@code <consumer>/<source_oid>}, value the LSN text.
 *
 * <p>Why a topic besides committed offsets: an offset is per partition, and many sources share a
 * partition, so the offset can only mark where re-reading must start (the oldest unacknowledged
 * record of any of them). The per-source LSNs say which of the re-read records were acknowledged
 * already, and they also filter re-published duplicates however late they come.
 */
final class KafkaPositions {

  private final String topic;
  private final String consumer;
  private final Producer<byte[], byte[]> producer;

  KafkaPositions(String topic, String consumer, Producer<byte[], byte[]> producer) {
    this.topic = topic;
    this.consumer = consumer;
    this.producer = producer;
  }

  /** Reads the whole compacted topic and returns this consumer's positions. */
  Map<Long, Lsn> load(Properties base) {
    Properties p = new Properties();
    p.putAll(base);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<Long, Lsn> positions = new HashMap<>();
    String prefix = consumer + "/";
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (c.position(tp) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("timed out reading " + topic);
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          String key = new String(r.key(), StandardCharsets.UTF_8);
          if (!key.startsWith(prefix)) {
            continue;
          }
          long source = Long.parseLong(key.substring(prefix.length()));
          if (r.value() == null) {
            positions.remove(source);
          } else {
            positions.put(source, Lsn.parse(new String(r.value(), StandardCharsets.UTF_8)));
          }
        }
      }
    }
    return positions;
  }

  /** Stores a position and waits until the broker has it on every in-sync replica. */
  void store(long sourceOid, Lsn acked)
      throws InterruptedException, ExecutionException, TimeoutException {
    byte[] key = (consumer + "/" + sourceOid).getBytes(StandardCharsets.UTF_8);
    byte[] value = acked.toString().getBytes(StandardCharsets.UTF_8);
    producer.send(new ProducerRecord<>(topic, 0, key, value)).get(60, TimeUnit.SECONDS);
  }
}
