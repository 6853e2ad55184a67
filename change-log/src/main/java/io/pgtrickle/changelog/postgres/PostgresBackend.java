package io.pgtrickle.changelog.postgres;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.PublishBatch;
import io.pgtrickle.changelog.internal.DaemonThreads;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The default backend: change events in WAL-logged PostgreSQL tables (see {@link PgSchema}).
 *
 * <p>URI: {@code postgresql://user:password@host:5432/database?schema=pgtrickle_changelog&pool=4}
 * (also {@code jdbc:postgresql://...}). {@code schema} names the schema of the tables (created if
 * missing), {@code pool} the number of connections and worker threads; other parameters, such as
 * {@code user}, {@code password} or {@code sslmode}, go to PgJDBC unchanged.
 *
 * <p>A publish is one transaction: it skips the events at or below the source's highest stored LSN
 * and writes the rest with one binary {@code COPY} in auto-commit mode (see {@link PgCopyBinary});
 * an acknowledgment updates the position and prunes in one transaction. Concurrent publishers share
 * PostgreSQL's own WAL group commit.
 */
public final class PostgresBackend implements ChangeLogBackend {

  private static final long FULL_PRUNE_NANOS = 60_000_000_000L;
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final String consumer;
  private final int batchSize;
  private final PgSchema schema;
  private final PgConnections connections;
  private final ExecutorService executor;
  private final Map<Long, Lsn> delivered = new ConcurrentHashMap<>();
  private final Map<Long, Lsn> published = new ConcurrentHashMap<>();
  private final Map<Long, Object> sourceLocks = new ConcurrentHashMap<>();
  private final Map<Long, PrunedUpTo> pruned = new ConcurrentHashMap<>();
  private final AtomicBoolean registered;

  private PostgresBackend(ChangeLogConfig config, PgSchema schema, PgConnections connections) {
    this.consumer = config.consumerName();
    this.registered = new AtomicBoolean(config.namesConsumer());
    this.batchSize = config.batchSize();
    this.schema = schema;
    this.connections = connections;
    int pool = config.intParam("pool", 4, 1, 64);
    this.executor = Executors.newFixedThreadPool(pool, new DaemonThreads("changelog-pg"));
  }

  /**
   * Opens the backend: connects, creates the schema if missing and registers the consumer if the
   * URI names it (see {@link ChangeLogConfig#namesConsumer()}).
   *
   * @param config a {@code postgresql://} configuration
   * @return the backend
   * @throws ChangeLogConfigException if a setting is wrong or PostgreSQL cannot be reached
   */
  public static PostgresBackend open(ChangeLogConfig config) {
    String schemaName = config.param("schema", "pgtrickle_changelog");
    if (!IDENTIFIER.matcher(schemaName).matches()) {
      throw new ChangeLogConfigException(
          "schema", "'" + schemaName + "' must be a lower-case SQL identifier");
    }
    int pool = config.intParam("pool", 4, 1, 64);
    PgConnections connections =
        new PgConnections(
            PgConnectionSettings.jdbcUrl(config),
            PgConnectionSettings.driverProperties(config),
            pool);
    PgSchema schema = new PgSchema(schemaName);
    try (Connection c = connections.connect()) {
      schema.create(c);
      if (config.namesConsumer()) {
        register(c, schema, config.consumerName());
      }
      c.commit();
    } catch (SQLException e) {
      connections.close();
      throw new ChangeLogConfigException(
          "uri",
          "cannot open the PostgreSQL change log at "
              + config.redacted()
              + ": "
              + PgConnectionSettings.withRootCause(e),
          e);
    }
    return new PostgresBackend(config, schema, connections);
  }

  private static void register(Connection c, PgSchema schema, String consumer) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(schema.registerConsumer())) {
      ps.setString(1, consumer);
      ps.executeUpdate();
    }
  }

  /**
   * Registers this instance's consumer in {@code c}'s transaction unless it is known to be: at open
   * when the URI names it, otherwise ({@code default}) on the first consume or acknowledgment.
   * Callers mark it registered once that transaction committed.
   */
  private void registerOnce(Connection c) throws SQLException {
    if (!registered.get()) {
      register(c, schema, consumer);
    }
  }

  @Override
  public String consumerName() {
    return consumer;
  }

  @Override
  public CompletionStage<Void> publish(long sourceOid, List<ChangeEvent> events) {
    List<ChangeEvent> batch;
    try {
      batch = PublishBatch.validate(sourceOid, events);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (batch.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return async(
        () -> {
          Lsn stored;
          try {
            stored =
                connections.autoCommitted(
                    c -> insertNew(c, sourceOid, batch, published.get(sourceOid)));
          } catch (ChangeLogException e) {
            published.remove(sourceOid);
            if (!(e.getCause() instanceof SQLException sql) || !"23505".equals(sql.getSQLState())) {
              throw e;
            }
            // Some of these events are stored already (a re-publish, or another instance
            // publishing this source): the second attempt reads the stored LSN and skips them.
            stored = connections.autoCommitted(c -> insertNew(c, sourceOid, batch, null));
          }
          // Only after the commit: a failed publish must not be remembered as stored.
          published.merge(sourceOid, stored, Lsn::max);
          return null;
        });
  }

  /**
   * Inserts the events above the source's highest stored LSN: re-publishing is a no-op. {@code
   * known} is that LSN as this instance last stored it, which saves a query per publish; when it is
   * stale, the primary key refuses the insert and the caller retries with {@code null}.
   *
   * <p>Runs with auto-commit: the {@code COPY} is a transaction of its own, committed (WAL flushed,
   * with the server's {@code synchronous_commit}) before the server reports it complete. That is
   * the same durability as an explicit {@code COMMIT}, with one round trip fewer; the events are
   * encoded into the COPY as it streams (see {@link PgCopyBinary}).
   *
   * @return the source's highest stored LSN now that the COPY committed
   */
  private Lsn insertNew(Connection c, long sourceOid, List<ChangeEvent> batch, Lsn known)
      throws SQLException {
    Lsn highest = known == null ? storedHighest(c, sourceOid) : known;
    int first = 0;
    while (first < batch.size() && highest != null && !batch.get(first).lsn().isAfter(highest)) {
      first++;
    }
    if (first < batch.size()) {
      CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(schema.copyEvents());
      PgCopyBinary rows = PgCopyBinary.start(copy);
      try {
        for (int i = first; i < batch.size(); i++) {
          rows.add(sourceOid, batch.get(i));
        }
        rows.finish();
      } finally {
        if (copy.isActive()) {
          copy.cancelCopy();
        }
        rows.release();
      }
    }
    Lsn last = batch.get(batch.size() - 1).lsn();
    return highest == null ? last : Lsn.max(highest, last);
  }

  private Lsn storedHighest(Connection c, long sourceOid) throws SQLException {
    Lsn highest = null;
    try (PreparedStatement ps = c.prepareStatement(schema.selectHighest())) {
      ps.setLong(1, sourceOid);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          highest = Lsn.of(Lsn.parse(rs.getString(1)).value(), rs.getInt(2));
        }
      }
    }
    return highest;
  }

  @Override
  public CompletionStage<List<ChangeEvent>> consume(long sourceOid, Lsn fromLsn) {
    ChangeEvent.checkOid(sourceOid);
    return async(
        () -> {
          synchronized (sourceLocks.computeIfAbsent(sourceOid, k -> new Object())) {
            Lsn start = delivered.get(sourceOid);
            if (start == null) {
              // First read of this source on this instance: start after the acknowledged position.
              start =
                  connections.inTransaction(
                      c -> {
                        registerOnce(c);
                        return acked(c, sourceOid);
                      });
              registered.set(true);
              delivered.merge(sourceOid, start, Lsn::max);
            }
            Lsn after = start;
            List<ChangeEvent> batch =
                connections.inTransaction(c -> readBatch(c, sourceOid, after, fromLsn));
            if (!batch.isEmpty()) {
              delivered.merge(sourceOid, batch.get(batch.size() - 1).lsn(), Lsn::max);
            }
            return batch;
          }
        });
  }

  private List<ChangeEvent> readBatch(Connection c, long sourceOid, Lsn after, Lsn from)
      throws SQLException {
    List<ChangeEvent> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(schema.selectBatch())) {
      ps.setLong(1, sourceOid);
      ps.setString(2, after.walText());
      ps.setInt(3, after.seq());
      ps.setString(4, from.walText());
      ps.setInt(5, from.seq());
      ps.setInt(6, batchSize);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(ChangeEventCodec.fromJson(rs.getString(1)));
        }
      }
    }
    return out;
  }

  private Lsn acked(Connection c, long sourceOid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(schema.selectAcked())) {
      ps.setString(1, consumer);
      ps.setLong(2, sourceOid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Lsn.of(Lsn.parse(rs.getString(1)).value(), rs.getInt(2)) : Lsn.ZERO;
      }
    }
  }

  @Override
  public CompletionStage<Void> acknowledge(long sourceOid, Lsn upToLsn) {
    ChangeEvent.checkOid(sourceOid);
    return async(
        () -> {
          PrunedUpTo done =
              connections.inTransaction(
                  c -> {
                    registerOnce(c);
                    try (PreparedStatement ps = c.prepareStatement(schema.upsertPosition())) {
                      ps.setString(1, consumer);
                      ps.setLong(2, sourceOid);
                      ps.setString(3, upToLsn.walText());
                      ps.setInt(4, upToLsn.seq());
                      ps.executeUpdate();
                    }
                    return prune(c, sourceOid);
                  });
          registered.set(true);
          if (done != null) {
            pruned.merge(sourceOid, done, PrunedUpTo::later);
          }
          delivered.computeIfPresent(sourceOid, (k, v) -> Lsn.max(v, upToLsn));
          return null;
        });
  }

  /**
   * Deletes the source's events every registered consumer acknowledged, in the caller's transaction
   * (after the position's update); {@link #pruned} is updated once it committed.
   *
   * <p>Only what lies above what this instance pruned before is looked at (its lower bound): one
   * large transaction, acknowledged in batches, used to cost a scan of all of its events still in
   * the table per acknowledgment, quadratic in its size (an 800,000-event transaction's prunes took
   * 39 s and held back the worker's acknowledgments, and so its ingest). Once a minute per source,
   * and first on each instance, the prune starts at the beginning, for events that came below the
   * bound afterwards: a publisher re-publishing after every stored event of the source was pruned
   * (it then finds none stored), or another consumer's concurrent prune that saw an older position
   * of this one.
   */
  private PrunedUpTo prune(Connection c, long sourceOid) throws SQLException {
    Lsn bound;
    try (PreparedStatement ps = c.prepareStatement(schema.pruneBound())) {
      ps.setLong(1, sourceOid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null; // no consumer registered: nothing is acknowledged by all
        }
        bound = Lsn.of(Lsn.parse(rs.getString(1)).value(), rs.getInt(2));
      }
    }
    long now = System.nanoTime();
    PrunedUpTo before = pruned.get(sourceOid);
    boolean full = before == null || now - before.fullAt() > FULL_PRUNE_NANOS;
    // Exclusive lower bound: (0/0, -1) is below every position.
    String lowerLsn = full ? Lsn.ZERO.walText() : before.upTo().walText();
    int lowerSeq = full ? -1 : before.upTo().seq();
    if (full || bound.compareTo(before.upTo()) > 0) {
      if (full || Long.compareUnsigned(before.upTo().value(), bound.value()) < 0) {
        try (PreparedStatement ps = c.prepareStatement(schema.pruneBelowLsn())) {
          ps.setLong(1, sourceOid);
          ps.setString(2, lowerLsn);
          ps.setString(3, bound.walText());
          ps.setString(4, lowerLsn);
          ps.setInt(5, lowerSeq);
          ps.executeUpdate();
        }
      }
      try (PreparedStatement ps = c.prepareStatement(schema.pruneWithinLsn())) {
        ps.setLong(1, sourceOid);
        ps.setString(2, bound.walText());
        ps.setInt(3, !full && before.upTo().value() == bound.value() ? lowerSeq : -1);
        ps.setInt(4, bound.seq());
        ps.executeUpdate();
      }
    }
    return new PrunedUpTo(
        before == null ? bound : Lsn.max(before.upTo(), bound), full ? now : before.fullAt());
  }

  /**
   * What this instance's prunes of a source deleted: every event at or below {@code upTo}, as of
   * their commits; {@code fullAt} is when the last prune from the beginning ran ({@link
   * System#nanoTime()}).
   */
  private record PrunedUpTo(Lsn upTo, long fullAt) {
    static PrunedUpTo later(PrunedUpTo a, PrunedUpTo b) {
      return new PrunedUpTo(Lsn.max(a.upTo(), b.upTo()), Math.max(a.fullAt(), b.fullAt()));
    }
  }

  @Override
  public CompletionStage<Long> lag(long sourceOid) {
    ChangeEvent.checkOid(sourceOid);
    return async(
        () ->
            connections.inTransaction(
                c -> {
                  try (PreparedStatement ps = c.prepareStatement(schema.countAbove())) {
                    ps.setString(1, consumer);
                    ps.setLong(2, sourceOid);
                    try (ResultSet rs = ps.executeQuery()) {
                      rs.next();
                      return rs.getLong(1);
                    }
                  }
                }));
  }

  private <T> CompletionStage<T> async(Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, executor);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new ChangeLogException("change log is closed", e));
    }
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connections.close();
  }
}
