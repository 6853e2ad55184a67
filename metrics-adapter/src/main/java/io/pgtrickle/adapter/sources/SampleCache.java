package io.pgtrickle.adapter.sources;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Reads of a source (a pod's {@code /metrics}), kept for a short time so that the HPA's requests,
 * the aggregator's and {@code kubectl}'s share one read. A read that fails is never answered from
 * an older success: the caller gets the error, so a source that went away shows as an error within
 * {@code ttl}, never as a value that stays forever. Concurrent callers of one key wait for the same
 * read.
 *
 * @param <K> what is read
 * @param <V> what a read gives
 */
public final class SampleCache<K, V> {

  /** How a value is read; may throw. */
  @FunctionalInterface
  public interface Loader<K, V> {
    V load(K key) throws Exception;
  }

  /**
   * A value with the time it was read.
   *
   * @param value the value
   * @param readAt when the read finished
   */
  public record Timed<V>(V value, Instant readAt) {}

  private final Duration ttl;
  private final Clock clock;
  private final Map<K, Timed<V>> done = new ConcurrentHashMap<>();
  private final Map<K, CompletableFuture<Timed<V>>> inFlight = new ConcurrentHashMap<>();

  /**
   * @param ttl how long a successful read is served (0: every call reads)
   * @param clock the clock
   */
  public SampleCache(Duration ttl, Clock clock) {
    this.ttl = ttl;
    this.clock = clock;
  }

  /**
   * The value of {@code key}: the last read if it is younger than the ttl, else a new read.
   *
   * @param key what to read
   * @param loader how to read it
   * @return the value with its read time
   * @throws Exception what the read threw
   */
  public Timed<V> get(K key, Loader<K, V> loader) throws Exception {
    Timed<V> cached = done.get(key);
    if (cached != null && clock.instant().isBefore(cached.readAt().plus(ttl))) {
      return cached;
    }
    CompletableFuture<Timed<V>> mine = new CompletableFuture<>();
    CompletableFuture<Timed<V>> running = inFlight.putIfAbsent(key, mine);
    if (running == null) {
      try {
        Timed<V> fresh = new Timed<>(loader.load(key), clock.instant());
        done.put(key, fresh);
        mine.complete(fresh);
      } catch (Exception e) {
        done.remove(key);
        mine.completeExceptionally(e);
      } finally {
        inFlight.remove(key, mine);
      }
      running = mine;
    }
    try {
      return running.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception ex) {
        throw ex;
      }
      throw e;
    }
  }

  /** Forgets entries older than {@code maxAge} (keys of pods that are gone). */
  public void evictOlderThan(Duration maxAge) {
    Instant limit = clock.instant().minus(maxAge);
    done.values().removeIf(t -> t.readAt().isBefore(limit));
  }
}
