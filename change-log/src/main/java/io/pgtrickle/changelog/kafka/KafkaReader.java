package io.pgtrickle.changelog.kafka;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer side of the Kafka backend. Sources share partitions, so reading one partition yields
 * events of several sources: they are kept per source until asked for. Per source the reader
 * remembers the highest LSN it has seen (buffered, delivered or acknowledged) and drops any record
 * at or below it: that is what makes a re-published event invisible, whether the idempotent
 * producer caught it or not.
 *
 * <p>The committed offset of a partition is the oldest record still buffered, unacknowledged or
 * evicted, so a restart re-reads nothing that is needed and loses nothing that is not acknowledged;
 * re-read records that were acknowledged are dropped by the LSN check against the stored positions.
 *
 * <p>Memory is bounded: when a partition holds more than {@code maxBuffered} events, the other
 * sources' buffers are evicted and each remembers the offset to re-read from when it is next
 * consumed.
 *
 * <p>One consumer, assigned every partition for its life; positions move only by polling (and by a
 * seek back to an evicted source's offset). A consume whose source has nothing buffered reads its
 * partition up to the end offsets known from an earlier call and, if that gave nothing, up to ones
 * fetched after the call was made (one {@code endOffsets} call for all partitions, shared by the
 * calls queued before it: the worker's ingest asks for every source at once), stopping at the
 * source's first event: so an empty batch means that nothing of the source was in the log when the
 * call began, not merely that nothing had been fetched yet (a minute of reading without either
 * throws). {@link #lag} catches up to a fresh end offset and counts what is held: the records read
 * on the way are buffered for the next consume, not read twice.
 *
 * <p>Not thread-safe: {@link KafkaBackend} runs every call on one thread, as KafkaConsumer
 * requires.
 */
final class KafkaReader {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaReader.class);

  private record Held(long offset, Lsn lsn) {}

  /** How long a consume or a lag may read to reach the end offset. */
  private static final long CATCH_UP_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final Consumer<byte[], byte[]> consumer;
  private final List<TopicPartition> partitions;
  private final int maxBuffered;
  private final Map<Long, Lsn> acked;
  private final Map<Long, Lsn> seen = new HashMap<>();
  private final Map<Long, Lsn> delivered = new HashMap<>();
  private final Map<Long, ArrayDeque<ChangeEvent>> buffers = new HashMap<>();
  // Offsets of records buffered or delivered but not acknowledged, per source and per partition.
  private final Map<Long, ArrayDeque<Held>> held = new HashMap<>();
  private final Map<Integer, TreeMap<Long, Long>> outstanding = new HashMap<>();
  private final Map<Long, Long> rewind = new HashMap<>();
  // End offsets from the last endOffsets call, per partition.
  private final Map<TopicPartition, Long> ends = new HashMap<>();
  // When the request for them was sent (System.nanoTime()): they prove "nothing more" only to a
  // call made before that.
  private long endsFetchedAt = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

  KafkaReader(
      Consumer<byte[], byte[]> consumer,
      List<TopicPartition> partitions,
      Map<Long, Lsn> acked,
      int maxBuffered) {
    this.consumer = consumer;
    this.partitions = partitions;
    this.acked = acked;
    this.maxBuffered = maxBuffered;
    this.seen.putAll(acked);
    this.delivered.putAll(acked);
    consumer.assign(partitions);
    Map<TopicPartition, OffsetAndMetadata> committed =
        consumer.committed(new java.util.HashSet<>(partitions), Duration.ofSeconds(30));
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata at = committed.get(tp);
      if (at == null) {
        consumer.seekToBeginning(List.of(tp));
      } else {
        consumer.seek(tp, at.offset());
      }
      outstanding.put(tp.partition(), new TreeMap<>());
    }
  }

  /**
   * The next batch of a source.
   *
   * @param calledAt {@code System.nanoTime()} when the caller asked (before the call was queued)
   */
  List<ChangeEvent> consume(
      long source, TopicPartition tp, Lsn from, int max, Duration wait, long calledAt) {
    Long rewindTo = rewind.remove(source);
    if (rewindTo != null) {
      seekBack(tp, rewindTo);
    }
    ArrayDeque<ChangeEvent> buffer = buffers.computeIfAbsent(source, k -> new ArrayDeque<>());
    if (buffer.isEmpty()) {
      // Read up to the end offset known from an earlier call, then (still nothing) up to one
      // fetched now: an empty batch means that nothing of the source was in the log at the call.
      long deadline = System.nanoTime() + CATCH_UP_NANOS;
      if (consumer.position(tp) < ends.getOrDefault(tp, -1L)) {
        catchUp(tp, source, true, deadline);
      }
      if (buffer.isEmpty() && endsFetchedAt - calledAt < 0) {
        fetchEnds();
        catchUp(tp, source, true, deadline);
      }
    }
    long deadline = System.nanoTime() + wait.toNanos();
    while (buffer.isEmpty() && System.nanoTime() < deadline) {
      pollOnly(tp, source, Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0)));
    }
    List<ChangeEvent> out = new ArrayList<>();
    while (!buffer.isEmpty() && out.size() < max) {
      ChangeEvent e = buffer.pollFirst();
      if (e.lsn().compareTo(from) >= 0) {
        out.add(e);
      }
      delivered.merge(source, e.lsn(), Lsn::max);
    }
    return out;
  }

  /**
   * The number of the source's events not acknowledged: reads its partition up to a fresh end
   * offset (buffering what it reads), then counts the held records.
   *
   * @throws ChangeLogException if the end is not reached within a minute
   */
  long lag(long source, TopicPartition tp, long calledAt) {
    Long rewindTo = rewind.remove(source);
    if (rewindTo != null) {
      seekBack(tp, rewindTo);
    }
    if (endsFetchedAt - calledAt < 0) {
      fetchEnds();
    }
    catchUp(tp, source, false, System.nanoTime() + CATCH_UP_NANOS);
    return heldCount(source);
  }

  /** One request for the end offsets of every partition. */
  private void fetchEnds() {
    long at = System.nanoTime();
    ends.putAll(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
    endsFetchedAt = at;
  }

  /**
   * Polls the partition until its position reaches the known end offset (or, if {@code
   * untilBuffered}, the source has events buffered).
   *
   * @throws ChangeLogException if neither happens before the deadline ({@code System.nanoTime()})
   */
  private void catchUp(TopicPartition tp, long source, boolean untilBuffered, long deadline) {
    long end = ends.getOrDefault(tp, 0L);
    while (consumer.position(tp) < end) {
      if (untilBuffered && !buffers.getOrDefault(source, new ArrayDeque<>()).isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new ChangeLogException(
            "Kafka: could not read " + tp + " up to offset " + end + " within a minute");
      }
      pollOnly(tp, source, Duration.ofMillis(200));
    }
  }

  private void pollOnly(TopicPartition tp, long keep, Duration wait) {
    List<TopicPartition> others = new ArrayList<>(partitions);
    others.remove(tp);
    consumer.pause(others);
    consumer.resume(List.of(tp));
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
      accept(r);
    }
    if (bufferedIn(tp.partition()) > maxBuffered) {
      evictOthers(tp.partition(), keep);
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> r) {
    long source;
    Lsn lsn;
    try {
      source = Long.parseLong(new String(r.key(), StandardCharsets.UTF_8));
      Header h = r.headers().lastHeader(KafkaBackend.LSN_HEADER);
      lsn = Lsn.parse(new String(h.value(), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      LOG.error("skipping a record without a source key or lsn header at {}", r.offset(), e);
      return;
    }
    Lsn highest = seen.get(source);
    if (highest != null && !lsn.isAfter(highest)) {
      return; // re-published or already acknowledged
    }
    ChangeEvent event = ChangeEventCodec.decode(r.value());
    seen.put(source, lsn);
    buffers.computeIfAbsent(source, k -> new ArrayDeque<>()).add(event);
    held.computeIfAbsent(source, k -> new ArrayDeque<>()).add(new Held(r.offset(), lsn));
    outstanding.get(r.partition()).put(r.offset(), source);
  }

  private int bufferedIn(int partition) {
    int n = 0;
    for (Long source : new java.util.HashSet<>(outstanding.get(partition).values())) {
      n += buffers.getOrDefault(source, new ArrayDeque<>()).size();
    }
    return n;
  }

  /** Drops other sources' buffered events, remembering where to re-read them from. */
  private void evictOthers(int partition, long keep) {
    TreeMap<Long, Long> open = outstanding.get(partition);
    for (Long source : new java.util.HashSet<>(open.values())) {
      ArrayDeque<ChangeEvent> buffer = buffers.get(source);
      if (source == keep || buffer == null || buffer.isEmpty()) {
        continue;
      }
      ArrayDeque<Held> h = held.get(source);
      // The buffered events are the last buffer.size() held records of this source.
      List<Held> kept = new ArrayList<>(h);
      List<Held> evicted = kept.subList(kept.size() - buffer.size(), kept.size());
      rewind.merge(source, evicted.get(0).offset(), Math::min);
      evicted.forEach(x -> open.remove(x.offset()));
      h.clear();
      h.addAll(kept.subList(0, kept.size() - buffer.size()));
      buffer.clear();
      seen.put(source, delivered.getOrDefault(source, Lsn.ZERO));
    }
  }

  private void seekBack(TopicPartition tp, long offset) {
    if (offset < consumer.position(tp)) {
      consumer.seek(tp, offset);
      // Sources evicted later than this offset will be read again on the way.
      rewind.entrySet().removeIf(e -> e.getValue() >= offset && partitionOf(e.getKey()) == tp);
    }
  }

  private TopicPartition partitionOf(long source) {
    return partitions.get(KafkaBackend.partitionFor(source, partitions.size()));
  }

  void acknowledge(long source, Lsn upTo, TopicPartition tp) {
    acked.merge(source, upTo, Lsn::max);
    seen.merge(source, upTo, Lsn::max);
    delivered.merge(source, upTo, Lsn::max);
    ArrayDeque<Held> h = held.getOrDefault(source, new ArrayDeque<>());
    TreeMap<Long, Long> open = outstanding.get(tp.partition());
    while (!h.isEmpty() && !h.peekFirst().lsn().isAfter(upTo)) {
      open.remove(h.pollFirst().offset());
    }
    ArrayDeque<ChangeEvent> buffer = buffers.getOrDefault(source, new ArrayDeque<>());
    while (!buffer.isEmpty() && !buffer.peekFirst().lsn().isAfter(upTo)) {
      buffer.pollFirst();
    }
    commit(tp);
  }

  private void commit(TopicPartition tp) {
    long offset = consumer.position(tp);
    TreeMap<Long, Long> open = outstanding.get(tp.partition());
    if (!open.isEmpty()) {
      offset = Math.min(offset, open.firstKey());
    }
    for (Map.Entry<Long, Long> e : rewind.entrySet()) {
      if (partitionOf(e.getKey()).equals(tp)) {
        offset = Math.min(offset, e.getValue());
      }
    }
    // Asynchronous: the offset only bounds what a new instance re-reads (the positions topic,
    // stored
    // before, says what was acknowledged), and commits go out in order on one connection.
    // close() waits for those still in flight.
    consumer.commitAsync(
        Map.of(tp, new OffsetAndMetadata(offset)),
        (offsets, error) -> {
          if (error != null) {
            LOG.debug("committing offsets {} failed: {}", offsets, error.toString());
          }
        });
  }

  private long heldCount(long source) {
    return held.getOrDefault(source, new ArrayDeque<>()).size();
  }
}
