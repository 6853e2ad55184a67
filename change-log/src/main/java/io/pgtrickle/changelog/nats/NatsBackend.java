package io.pgtrickle.changelog.nats;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.MalformedEventException;
import io.pgtrickle.changelog.PublishBatch;
import io.pgtrickle.changelog.internal.DaemonThreads;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * NATS JetStream: one stream, one subject per source ({@code <subjectPrefix>.<source_oid>}), a
 * durable pull consumer per (consumer name, source). A message carries a frame of up to {@code
 * eventsPerMessage} consecutive events of its source ({@link NatsFrames}): JetStream's cost is per
 * message, so one message per event capped throughput at the server's message rate.
 *
 * <p>URI: {@code nats://host:4222?stream=pgtrickle-changes&subjectPrefix=pgtrickle.changes
 * &dedupWindowS=120&replicas=1&ackWaitS=300&eventsPerMessage=1000}. The stream is created (file
 * storage) if missing; an existing stream is used as it is, and must cover the subjects. A
 * key-value bucket {@code <stream>-acks} keeps acknowledgments that end inside a message. Where the
 * URI sets {@code replicas}, an existing stream and bucket with another count are changed to it
 * ({@link NatsSetup#ensureStream}); without it they keep theirs. {@link NatsSourcePublisher}
 * publishes only what the subject does not hold yet, and {@link NatsSourceReader} drops whatever a
 * publisher repeated anyway.
 */
public final class NatsBackend implements ChangeLogBackend {

  private static final Pattern STREAM_NAME = Pattern.compile("[A-Za-z0-9_-]{1,200}");
  private static final Pattern SUBJECT_PREFIX =
      Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

  private final ChangeLogConfig config;
  private final Connection connection;
  private final JetStream jetStream;
  private final JetStreamManagement management;
  private final String stream;
  private final String subjectPrefix;
  private final Duration ackWait;
  private final KeyValue positions;
  private final int maxFrameBytes;
  private final int eventsPerMessage;
  private final Map<Long, NatsSourceReader> readers = new ConcurrentHashMap<>();
  private final Map<Long, NatsSourcePublisher> publishers = new ConcurrentHashMap<>();
  private final Map<Long, CompletableFuture<Void>> lastPublish = new ConcurrentHashMap<>();
  private final ExecutorService executor =
      Executors.newFixedThreadPool(4, new DaemonThreads("changelog-nats"));

  private NatsBackend(
      ChangeLogConfig config,
      Connection connection,
      String stream,
      String subjectPrefix,
      KeyValue positions)
      throws java.io.IOException {
    this.config = config;
    this.connection = connection;
    // Frames are up to a megabyte: allow a loaded server more than the default two seconds.
    this.jetStream =
        connection.jetStream(
            JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(10)).build());
    this.management = connection.jetStreamManagement();
    this.stream = stream;
    this.subjectPrefix = subjectPrefix;
    this.positions = positions;
    this.ackWait = Duration.ofSeconds(config.intParam("ackWaitS", 300, 1, 86_400));
    this.eventsPerMessage = config.intParam("eventsPerMessage", 1000, 1, 100_000);
    long maxPayload = connection.getServerInfo().getMaxPayload();
    this.maxFrameBytes =
        (int)
            Math.max(
                1024, Math.min(NatsFrames.MAX_FRAME_BYTES, maxPayload - NatsFrames.HEADER_ROOM));
  }

  /**
   * Connects and creates the stream if missing.
   *
   * @param config a {@code nats://} configuration
   * @return the backend
   * @throws ChangeLogConfigException if a setting is wrong, the server cannot be reached, or the
   *     stream does not fit
   */
  public static NatsBackend open(ChangeLogConfig config) {
    config.requireKnownParams(
        Set.of(
            "stream", "subjectPrefix", "dedupWindowS", "replicas", "ackWaitS", "eventsPerMessage"));
    config.requireNoPath("nats://host:4222?stream=NAME");
    String stream = config.param("stream", "pgtrickle-changes");
    if (!STREAM_NAME.matcher(stream).matches()) {
      throw new ChangeLogConfigException(
          "stream", "'" + stream + "' must be letters, digits, '-' or '_'");
    }
    String prefix = config.param("subjectPrefix", "pgtrickle.changes." + stream);
    if (!SUBJECT_PREFIX.matcher(prefix).matches()) {
      throw new ChangeLogConfigException(
          "subjectPrefix", "'" + prefix + "' must be dot-separated tokens without wildcards");
    }
    Duration dedup = Duration.ofSeconds(config.intParam("dedupWindowS", 120, 1, 7 * 86_400));
    int replicas = config.intParam("replicas", 1, 1, 5);
    config.intParam("ackWaitS", 300, 1, 86_400);
    config.intParam("eventsPerMessage", 1000, 1, 100_000);
    Connection connection = NatsSetup.connect(config);
    try {
      NatsSetup.requireCluster(connection, replicas);
      NatsSetup.ensureStream(
          connection.jetStreamManagement(), stream, prefix, dedup, replicas, config);
      KeyValue positions =
          NatsSetup.ensurePositions(
              connection, stream + "-acks", replicas, config.params().containsKey("replicas"));
      return new NatsBackend(config, connection, stream, prefix, positions);
    } catch (ChangeLogConfigException e) {
      closeQuietly(connection);
      throw e;
    } catch (Exception e) {
      closeQuietly(connection);
      throw new ChangeLogConfigException(
          "stream",
          "cannot create or read JetStream stream '"
              + stream
              + "' on "
              + config.redacted()
              + " (is JetStream enabled?): "
              + e.getMessage(),
          e);
    }
  }

  String subject(long sourceOid) {
    return subjectPrefix + "." + sourceOid;
  }

  @Override
  public String consumerName() {
    return config.consumerName();
  }

  @Override
  public CompletionStage<Void> publish(long sourceOid, List<ChangeEvent> events) {
    List<ChangeEvent> batch;
    try {
      batch = List.copyOf(PublishBatch.validate(sourceOid, events));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    NatsSourcePublisher publisher =
        publishers.computeIfAbsent(
            sourceOid,
            s ->
                new NatsSourcePublisher(
                    jetStream,
                    management,
                    stream,
                    subject(s),
                    s,
                    maxFrameBytes,
                    eventsPerMessage,
                    executor));
    // One publish per source at a time, in call order: frames of a source must not interleave.
    CompletableFuture<Void> done = new CompletableFuture<>();
    CompletableFuture<Void> previous = lastPublish.put(sourceOid, done);
    Runnable start =
        () ->
            startPublish(publisher, batch)
                .whenComplete(
                    (ok, error) -> {
                      if (error == null) {
                        done.complete(null);
                        return;
                      }
                      Throwable cause =
                          error instanceof CompletionException ? error.getCause() : error;
                      done.completeExceptionally(
                          cause instanceof ChangeLogException
                                  || cause instanceof MalformedEventException
                              ? cause
                              : new ChangeLogException(
                                  "NATS publish to " + subject(sourceOid) + " failed: " + cause,
                                  cause));
                    });
    if (previous == null) {
      start.run();
    } else {
      previous.whenComplete((ok, error) -> start.run());
    }
    done.whenComplete((ok, error) -> lastPublish.remove(sourceOid, done));
    return done;
  }

  private static CompletableFuture<Void> startPublish(
      NatsSourcePublisher publisher, List<ChangeEvent> batch) {
    try {
      return publisher.publish(batch);
    } catch (RuntimeException e) { // e.g. the executor refused work: the backend is closed
      return CompletableFuture.failedFuture(e);
    }
  }

  private NatsSourceReader reader(long sourceOid) throws Exception {
    NatsSourceReader reader = readers.get(sourceOid);
    if (reader == null) {
      reader =
          new NatsSourceReader(
              management, positions, stream, config.consumerName() + "-" + sourceOid, ackWait);
      reader.open(connection, subject(sourceOid));
      readers.put(sourceOid, reader);
    }
    return reader;
  }

  @Override
  public CompletionStage<List<ChangeEvent>> consume(long sourceOid, Lsn fromLsn) {
    ChangeEvent.checkOid(sourceOid);
    return perSource(
        sourceOid,
        () -> reader(sourceOid).consume(fromLsn, config.batchSize(), config.pollTimeout()));
  }

  @Override
  public CompletionStage<Void> acknowledge(long sourceOid, Lsn upToLsn) {
    ChangeEvent.checkOid(sourceOid);
    return perSource(
        sourceOid,
        () -> {
          reader(sourceOid).acknowledge(upToLsn);
          return null;
        });
  }

  @Override
  public CompletionStage<Long> lag(long sourceOid) {
    ChangeEvent.checkOid(sourceOid);
    return perSource(sourceOid, () -> reader(sourceOid).lag());
  }

  private final Map<Long, Object> locks = new ConcurrentHashMap<>();

  private <T> CompletionStage<T> perSource(long sourceOid, Callable<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      executor.execute(
          () -> {
            synchronized (locks.computeIfAbsent(sourceOid, k -> new Object())) {
              try {
                f.complete(work.call());
              } catch (RuntimeException e) {
                f.completeExceptionally(e);
              } catch (Exception e) {
                if (e instanceof InterruptedException) {
                  Thread.currentThread().interrupt();
                }
                f.completeExceptionally(
                    new ChangeLogException("NATS change log, source " + sourceOid + ": " + e, e));
              }
            }
          });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new ChangeLogException("NATS change log is closed", e));
    }
    return f;
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeQuietly(connection);
  }
}
