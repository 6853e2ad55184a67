package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.PublishBatch;
import io.pgtrickle.changelog.internal.DaemonThreads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local WAL files: a single-node log with no external dependency.
 *
 * <p>URI: {@code file:///var/lib/pgtrickle/changelog?segmentMb=64}. The directory holds segment
 * files {@code <id>.wal} (rotated at {@code segmentMb}, 1 to 1024, default 64), consumer positions
 * in {@code consumers/}, and a {@code LOCK} file: one process owns the directory at a time, and
 * within it one instance per consumer name.
 *
 * <p>Publishes are made durable by group commit (see {@link GroupCommitWriter}); recovery at open
 * truncates a torn tail (see {@link WalRecovery}); a segment is deleted once every consumer that
 * has a position file acknowledged every event in it.
 */
public final class WalBackend implements ChangeLogBackend {

  private static final Logger LOG = LoggerFactory.getLogger(WalBackend.class);

  private final String consumer;
  private final int batchSize;
  private final WalLog log;
  private final FileChannel lockChannel;
  private final ConsumerPositions positionStore;
  // Other consumers' positions are read at open: only their own instances change them.
  private final Map<String, Map<Long, Lsn>> allPositions;
  private final Map<Long, Lsn> acked;
  private volatile boolean registered;
  private final Map<Long, Lsn> delivered = new ConcurrentHashMap<>();
  private final Map<Long, Object> sourceLocks = new ConcurrentHashMap<>();
  private final ExecutorService executor =
      Executors.newFixedThreadPool(2, new DaemonThreads("changelog-wal-io"));

  private WalBackend(
      ChangeLogConfig config,
      WalLog log,
      FileChannel lockChannel,
      ConsumerPositions positionStore,
      Map<String, Map<Long, Lsn>> allPositions,
      Map<Long, Lsn> acked) {
    this.consumer = config.consumerName();
    this.batchSize = config.batchSize();
    this.log = log;
    this.lockChannel = lockChannel;
    this.positionStore = positionStore;
    this.allPositions = allPositions;
    this.acked = acked;
    this.registered = allPositions.get(consumer) == acked;
  }

  /** Registers this instance's consumer, with no position yet, unless it is registered. */
  private void registerOnce() throws IOException {
    if (registered) {
      return;
    }
    synchronized (acked) {
      if (allPositions.get(consumer) != acked) {
        positionStore.store(consumer, Map.copyOf(acked));
        allPositions.put(consumer, acked);
      }
      registered = true;
    }
  }

  /**
   * Opens (and recovers) the log in the URI's directory, creating it if missing.
   *
   * @param config a {@code file://} configuration
   * @return the backend
   * @throws ChangeLogConfigException if the path or a parameter is wrong, or the directory is in
   *     use by another process
   */
  public static WalBackend open(ChangeLogConfig config) {
    config.requireKnownParams(Set.of("segmentMb"));
    if (config.uri().getRawAuthority() != null) {
      // file://var/lib/log is host "var", path /lib/log: the log would go somewhere else.
      throw new ChangeLogConfigException(
          "uri",
          "has a host part; a directory takes three slashes, as in"
              + " file:///var/lib/pgtrickle/changelog");
    }
    String pathText = config.uri().getPath();
    if (pathText == null || pathText.isEmpty() || !pathText.startsWith("/")) {
      throw new ChangeLogConfigException(
          "uri", "needs an absolute directory, as in file:///var/lib/pgtrickle/changelog");
    }
    long segmentBytes = config.intParam("segmentMb", 64, 1, 1024) * 1024L * 1024L;
    Path dir = Path.of(pathText);
    FileChannel lock = null;
    try {
      Files.createDirectories(dir);
      lock = lockDirectory(dir);
      ConsumerPositions store = new ConsumerPositions(dir.resolve("consumers"));
      Map<String, Map<Long, Lsn>> all = new ConcurrentHashMap<>(store.loadAll());
      Map<Long, Lsn> own;
      if (all.containsKey(config.consumerName())) {
        own = new ConcurrentHashMap<>(all.get(config.consumerName()));
        all.put(config.consumerName(), own);
      } else {
        own = new ConcurrentHashMap<>();
        if (config.namesConsumer()) {
          // Registering an empty position keeps segments until this consumer acknowledges them.
          store.store(config.consumerName(), Map.of());
          all.put(config.consumerName(), own);
        }
        // Unnamed (default): registered on its first consume or acknowledgment (registerOnce),
        // so an instance that only publishes keeps no segment for a consumer that never reads.
      }
      WalLog log = WalLog.open(dir, segmentBytes);
      WalBackend backend = new WalBackend(config, log, lock, store, all, own);
      backend.retain();
      return backend;
    } catch (IOException | UncheckedIOException e) {
      closeQuietly(lock);
      throw new ChangeLogConfigException(
          "uri", "cannot open the WAL directory " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(lock);
      throw e;
    }
  }

  private static FileChannel lockDirectory(Path dir) throws IOException {
    FileChannel ch =
        FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      ch.close();
      throw new ChangeLogConfigException(
          "uri", "WAL directory " + dir + " is in use by another change log instance");
    }
    return ch;
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // Releasing the lock on a failed open; nothing else to undo.
      }
    }
  }

  @Override
  public String consumerName() {
    return consumer;
  }

  @Override
  public CompletionStage<Void> publish(long sourceOid, List<ChangeEvent> events) {
    try {
      List<ChangeEvent> batch = PublishBatch.validate(sourceOid, events);
      if (batch.isEmpty()) {
        return CompletableFuture.completedFuture(null);
      }
      return log.append(sourceOid, batch);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<List<ChangeEvent>> consume(long sourceOid, Lsn fromLsn) {
    ChangeEvent.checkOid(sourceOid);
    return async(
        () -> {
          registerOnce();
          synchronized (sourceLocks.computeIfAbsent(sourceOid, k -> new Object())) {
            Lsn after = Lsn.max(delivered.getOrDefault(sourceOid, Lsn.ZERO), ackedOf(sourceOid));
            List<ChangeEvent> batch =
                log.read(log.index(sourceOid).read(after, fromLsn, batchSize));
            if (!batch.isEmpty()) {
              delivered.merge(sourceOid, batch.get(batch.size() - 1).lsn(), Lsn::max);
            }
            return batch;
          }
        });
  }

  private Lsn ackedOf(long sourceOid) {
    return acked.getOrDefault(sourceOid, Lsn.ZERO);
  }

  @Override
  public CompletionStage<Void> acknowledge(long sourceOid, Lsn upToLsn) {
    ChangeEvent.checkOid(sourceOid);
    return async(
        () -> {
          registerOnce();
          synchronized (acked) {
            if (!upToLsn.isAfter(ackedOf(sourceOid))) {
              return null;
            }
            Map<Long, Lsn> next = new HashMap<>(acked);
            next.put(sourceOid, upToLsn);
            positionStore.store(consumer, next);
            acked.put(sourceOid, upToLsn);
            retain();
          }
          return null;
        });
  }

  private void retain() throws IOException {
    int deleted = log.retain(this::minAcked);
    if (deleted > 0) {
      LOG.debug("deleted {} acknowledged WAL segments", deleted);
    }
  }

  private Lsn minAcked(long sourceOid) {
    Lsn min = null;
    for (Map<Long, Lsn> positions : allPositions.values()) {
      Lsn p = positions.getOrDefault(sourceOid, Lsn.ZERO);
      min = min == null || p.compareTo(min) < 0 ? p : min;
    }
    return min == null ? Lsn.ZERO : min;
  }

  @Override
  public CompletionStage<Long> lag(long sourceOid) {
    ChangeEvent.checkOid(sourceOid);
    return async(() -> log.index(sourceOid).countAbove(ackedOf(sourceOid)));
  }

  /** Number of segment files, for tests of retention. */
  int segmentCount() {
    return log.segmentCount();
  }

  private <T> CompletionStage<T> async(Callable<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      executor.execute(
          () -> {
            try {
              f.complete(work.call());
            } catch (IOException e) {
              f.completeExceptionally(new ChangeLogException("WAL change log: " + e, e));
            } catch (Exception e) {
              f.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new ChangeLogException("WAL change log is closed", e));
    }
    return f;
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.close();
    closeQuietly(lockChannel);
  }
}
