package io.pgtrickle.changelog.kafka;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.PublishBatch;
import io.pgtrickle.changelog.internal.DaemonThreads;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Apache Kafka: one topic, the source OID as record key, so a source's events stay in one partition
 * in publish order.
 *
 * <p>URI: {@code kafka://broker1:9092,broker2:9092?topic=pgtrickle-changes&partitions=8
 * &replicationFactor=3&maxBuffered=100000}, plus any client setting as {@code kafka.<name>=..}
 * (e.g. {@code kafka.security.protocol=SSL}). Missing topics are created: the event topic with
 * {@code partitions}, and a compacted {@code <topic>.positions} (see {@link KafkaPositions}).
 *
 * <p>The producer is idempotent with {@code acks=all}; the consumer group is the consumer name,
 * with partitions assigned (not subscribed: no rebalances) and offsets committed on acknowledgment.
 * Re-published events are dropped on the consumer side by LSN ({@link KafkaReader}), since the
 * idempotent producer only covers retries of one producer session.
 */
public final class KafkaBackend implements ChangeLogBackend {

  static final String LSN_HEADER = "pgtrickle-lsn";
  static final String POSITIONS_SUFFIX = ".positions";
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  /**
   * Kafka client settings a {@code kafka.<setting>} parameter may not change, with why: the
   * delivery guarantees (an event acknowledged only once every in-sync replica has it, no duplicate
   * or reordering on a retry) and the reader's own offset management rest on them.
   */
  static final Map<String, String> FIXED_CLIENT_SETTINGS =
      Map.ofEntries(
          fixed(ProducerConfig.ACKS_CONFIG, "all: acknowledged once the in-sync replicas have it"),
          fixed(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true: retries never duplicate"),
          fixed(
              ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
              "5: the most an idempotent producer keeps in order"),
          fixed(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "byte arrays"),
          fixed(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "byte arrays"),
          fixed(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, "byte arrays"),
          fixed(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, "byte arrays"),
          fixed(ConsumerConfig.GROUP_ID_CONFIG, "the consumer name"),
          fixed(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false: stored on acknowledge"),
          fixed(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest: nothing unread is skipped"),
          fixed(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "the batchSize parameter, at least 500"),
          fixed(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "the URI's host:port list"));

  private static Map.Entry<String, String> fixed(String setting, String why) {
    return Map.entry("kafka." + setting, why);
  }

  private final ChangeLogConfig config;
  private final String topic;
  private final Producer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaPositions positions;
  private final KafkaReader reader;
  private final List<TopicPartition> partitions;
  private final ExecutorService readerThread =
      Executors.newSingleThreadExecutor(new DaemonThreads("changelog-kafka-reader"));

  private KafkaBackend(ChangeLogConfig config, String topic, Properties base) {
    this.config = config;
    this.topic = topic;
    this.producer = new KafkaProducer<>(producerProperties(base));
    Properties cp = consumerProperties(base, config.consumerName(), config.batchSize());
    this.consumer = new KafkaConsumer<>(cp);
    this.partitions = new ArrayList<>();
    consumer
        .partitionsFor(topic, Duration.ofSeconds(30))
        .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
    partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    this.positions = new KafkaPositions(topic + POSITIONS_SUFFIX, config.consumerName(), producer);
    Map<Long, Lsn> acked = positions.load(consumerProperties(base, null, 500));
    int maxBuffered = config.intParam("maxBuffered", 100_000, 100, 10_000_000);
    this.reader = new KafkaReader(consumer, partitions, acked, maxBuffered);
  }

  /**
   * Connects, creates the topics if missing, and loads the consumer's positions.
   *
   * @param config a {@code kafka://} configuration
   * @return the backend
   * @throws ChangeLogConfigException if a setting is wrong or the brokers cannot be reached
   */
  public static KafkaBackend open(ChangeLogConfig config) {
    Set<String> known = Set.of("topic", "partitions", "replicationFactor", "maxBuffered");
    config.params().keySet().stream()
        .filter(k -> !k.startsWith("kafka."))
        .filter(k -> !known.contains(k) && !ChangeLogConfig.COMMON_PARAMS.contains(k))
        .findFirst()
        .ifPresent(
            k -> {
              throw new ChangeLogConfigException(
                  k, "is not a known parameter of the kafka backend (known: " + known + ")");
            });
    config.params().keySet().stream()
        .filter(FIXED_CLIENT_SETTINGS::containsKey)
        .findFirst()
        .ifPresent(
            k -> {
              throw new ChangeLogConfigException(
                  k, "cannot be set: the backend fixes it (" + FIXED_CLIENT_SETTINGS.get(k) + ")");
            });
    config.requireNoPath("kafka://host:9092?topic=NAME");
    String topic = config.param("topic", "pgtrickle-changes");
    if (!TOPIC.matcher(topic).matches()) {
      throw new ChangeLogConfigException(
          "topic", "'" + topic + "' must be letters, digits, '.', '-' or '_'");
    }
    int partitions = config.intParam("partitions", 8, 1, 10_000);
    int rf = config.intParam("replicationFactor", 0, 0, 32);
    config.intParam("maxBuffered", 100_000, 100, 10_000_000);
    String bootstrap = config.uri().getRawAuthority();
    if (bootstrap == null || bootstrap.isEmpty()) {
      throw new ChangeLogConfigException("uri", "has no broker address: " + config.redacted());
    }
    Properties base = new Properties();
    base.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    base.put(CommonClientConfigs.CLIENT_ID_CONFIG, "pgtrickle-changelog-" + config.consumerName());
    config
        .params()
        .forEach(
            (k, v) -> {
              if (k.startsWith("kafka.")) {
                base.put(k.substring("kafka.".length()), v);
              }
            });
    Optional<Short> replication = rf == 0 ? Optional.empty() : Optional.of((short) rf);
    KafkaTopics.ensure(base, config.redacted(), topic, partitions, replication);
    try {
      return new KafkaBackend(config, topic, base);
    } catch (RuntimeException e) {
      throw new ChangeLogConfigException(
          "uri", "cannot open Kafka topic '" + topic + "' at " + config.redacted() + ": " + e, e);
    }
  }

  private static Properties producerProperties(Properties base) {
    Properties p = new Properties();
    p.putAll(base);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    // A publish sends its records at once and then waits for their acknowledgment, so holding a
    // batch back for more records only adds to every publish's latency; records appended while a
    // request is in flight still share the next one.
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "0");
    p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  private static Properties consumerProperties(Properties base, String group, int maxPoll) {
    Properties p = new Properties();
    p.putAll(base);
    if (group != null) {
      p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    }
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(Math.max(maxPoll, 500)));
    // The reader polls one partition at a time (the others paused); a fetch the broker holds open
    // for a partition with nothing new delays the next partition's fetch to the same broker by
    // up to this long (Kafka's default is 500 ms). Fetches are sent only while a call polls.
    p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  /** The partition of a source: Kafka's default partitioner formula on the key bytes. */
  static int partitionFor(long sourceOid, int partitionCount) {
    byte[] key = Long.toString(sourceOid).getBytes(StandardCharsets.UTF_8);
    return Utils.toPositive(Utils.murmur2(key)) % partitionCount;
  }

  private TopicPartition partition(long sourceOid) {
    return partitions.get(partitionFor(sourceOid, partitions.size()));
  }

  @Override
  public String consumerName() {
    return config.consumerName();
  }

  @Override
  public CompletionStage<Void> publish(long sourceOid, List<ChangeEvent> events) {
    try {
      List<ChangeEvent> batch = PublishBatch.validate(sourceOid, events);
      int p = partition(sourceOid).partition();
      byte[] key = Long.toString(sourceOid).getBytes(StandardCharsets.UTF_8);
      CompletableFuture<?>[] acks = new CompletableFuture<?>[batch.size()];
      for (int i = 0; i < acks.length; i++) {
        ChangeEvent e = batch.get(i);
        RecordHeaders headers = new RecordHeaders();
        headers.add(LSN_HEADER, e.lsn().toString().getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Void> ack = new CompletableFuture<>();
        producer.send(
            new ProducerRecord<>(topic, p, key, ChangeEventCodec.encode(e), headers),
            (metadata, error) -> {
              if (error != null) {
                ack.completeExceptionally(
                    new ChangeLogException("Kafka publish to " + topic + " failed", error));
              } else {
                ack.complete(null);
              }
            });
        acks[i] = ack;
      }
      return CompletableFuture.allOf(acks);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<List<ChangeEvent>> consume(long sourceOid, Lsn fromLsn) {
    ChangeEvent.checkOid(sourceOid);
    long calledAt = System.nanoTime();
    return onReader(
        () ->
            reader.consume(
                sourceOid,
                partition(sourceOid),
                fromLsn,
                config.batchSize(),
                config.pollTimeout(),
                calledAt));
  }

  @Override
  public CompletionStage<Void> acknowledge(long sourceOid, Lsn upToLsn) {
    ChangeEvent.checkOid(sourceOid);
    return onReader(
        () -> {
          positions.store(sourceOid, upToLsn);
          reader.acknowledge(sourceOid, upToLsn, partition(sourceOid));
          return null;
        });
  }

  @Override
  public CompletionStage<Long> lag(long sourceOid) {
    ChangeEvent.checkOid(sourceOid);
    long calledAt = System.nanoTime();
    return onReader(() -> reader.lag(sourceOid, partition(sourceOid), calledAt));
  }

  private <T> CompletionStage<T> onReader(Callable<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      readerThread.execute(
          () -> {
            try {
              f.complete(work.call());
            } catch (RuntimeException e) {
              f.completeExceptionally(e);
            } catch (Exception e) {
              if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
              }
              f.completeExceptionally(new ChangeLogException("Kafka change log: " + e, e));
            }
          });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new ChangeLogException("Kafka change log is closed", e));
    }
    return f;
  }

  @Override
  public void close() {
    readerThread.execute(() -> consumer.close(Duration.ofSeconds(5)));
    readerThread.shutdown();
    try {
      readerThread.awaitTermination(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(10));
  }
}
