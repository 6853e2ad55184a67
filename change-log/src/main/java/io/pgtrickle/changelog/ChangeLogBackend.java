package io.pgtrickle.changelog;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A durable, ordered log of change events between the CDC consumer (publisher) and the workers
 * (consumers). Open one with {@link ChangeLogBackends#open(String)}.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Order.</b> Events of one source are delivered in LSN order, each at most once per
 *       backend instance. Sources are independent: there is no order across sources.
 *   <li><b>Idempotence.</b> An event is identified by (source, LSN). Publishing an event whose LSN
 *       is not above what the log already holds for that source is a no-op, so a publisher that
 *       crashed may re-publish from its last confirmed position; a consumer never sees an event
 *       twice because of that.
 *   <li><b>Named consumers.</b> The instance consumes as the consumer named in its configuration
 *       ({@code consumer=...}); the consumer's acknowledged position per source persists in the
 *       backend. One instance per consumer name at a time.
 *   <li><b>At-least-once.</b> {@link #consume} continues where the previous call on this instance
 *       stopped; a new instance (after a restart or a crash) starts right after the acknowledged
 *       position, so events that were delivered but not acknowledged are delivered again, and
 *       acknowledged ones never are. A consumer that keeps its own applied watermark passes it
 *       (plus one) as {@code fromLsn} to skip what it already applied.
 *   <li><b>Publishing.</b> The events of one call belong to the given source with strictly
 *       increasing LSNs. Calls for different sources may run concurrently; calls for the same
 *       source should not overlap (a CDC consumer owns its sources), because two overlapping
 *       batches of one source have no defined order.
 * </ul>
 *
 * <p>All methods are asynchronous and thread-safe. A future completes exceptionally with {@link
 * MalformedEventException} for events that break the format or the contract, and with {@link
 * ChangeLogException} when the backend fails; a completed {@link #publish} future means the events
 * are durable (fsync'd, committed or acknowledged by the server).
 */
public interface ChangeLogBackend extends AutoCloseable {

  /**
   * Appends events of one source.
   *
   * @param sourceOid the source table's OID
   * @param events events of that source with strictly increasing LSNs; ones already in the log are
   *     skipped
   * @return completes when every new event is durable
   */
  CompletionStage<Void> publish(long sourceOid, List<ChangeEvent> events);

  /**
   * Returns the next batch of a source's events for this consumer.
   *
   * <p>The batch holds at most the configured {@code batch} events (default 500), in LSN order,
   * each with an LSN at least {@code fromLsn} and above every event this instance delivered before.
   * It may be empty: then nothing new arrived within the configured {@code pollMs}. Poll again;
   * delivery is not blocked by unacknowledged events.
   *
   * @param sourceOid the source table's OID
   * @param fromLsn the smallest LSN wanted, e.g. {@link Lsn#ZERO} for everything not yet
   *     acknowledged
   * @return the batch, possibly empty
   */
  CompletionStage<List<ChangeEvent>> consume(long sourceOid, Lsn fromLsn);

  /**
   * Records that this consumer has applied every event of the source up to and including {@code
   * upToLsn}. Acknowledgments are cumulative and never move back; acknowledged events are not
   * delivered to this consumer again and may be removed once every consumer acknowledged them.
   *
   * @param sourceOid the source table's OID
   * @param upToLsn the LSN of the last applied event
   * @return completes when the position is durable
   */
  CompletionStage<Void> acknowledge(long sourceOid, Lsn upToLsn);

  /**
   * Returns how many events of the source this consumer has not acknowledged yet (delivered or
   * not). Zero means caught up.
   *
   * @param sourceOid the source table's OID
   * @return the number of unacknowledged events
   */
  CompletionStage<Long> lag(long sourceOid);

  /**
   * Returns the name this instance consumes as.
   *
   * @return the consumer name
   */
  String consumerName();

  /** Releases connections, threads and files. Pending futures complete exceptionally. */
  @Override
  void close();
}
