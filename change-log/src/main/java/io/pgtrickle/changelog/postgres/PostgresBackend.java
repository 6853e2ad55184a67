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
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The default backend: change events in WAL-logged PostgreSQL tables (see {@link PgSchema}).
 *
 * <p>URI: {@code
 * postgresql://user:password@host:5432/database?schema=pgtrickle_changelog&pool=4&writers=2} (also
 * {@code jdbc:postgresql://...}). {@code schema} names the schema of the tables (created if
 * missing), {@code pool} the number of connections and worker threads, {@code writers} (1 to {@code
 * pool}, default {@code pool}) how many of them write publishes at once; other parameters, such as
 * {@code user}, {@code password} or {@code sslmode}, go to PgJDBC unchanged.
 *
 * <p>Publishes are group-committed ({@link PgGroupCommit}): the publishes waiting when a writer
 * becomes free, of any sources, go into one binary {@code COPY} in auto-commit mode, one
 * transaction and one WAL flush, skipping each source's events at or below its highest stored
 * position ({@link PgPublisher}); a publish completes after the commit that holds its events. A
 * group that fails is published again one request at a time, so one source's duplicate or bad event
 * fails only its own publish. An acknowledgment updates the position and prunes in one transaction.
 */
public final class PostgresBackend implements ChangeLogBackend {

  private static final Set<String> OWN_PARAMS = Set.of("schema", "pool", "writers");

  /** The most events a group of several publishes takes (about 4 MiB of 1 KB events). */
  static final int MAX_GROUP_EVENTS = 4096;

  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final String consumer;
  private final int batchSize;
  private final PgSchema schema;
  private final PgConnections connections;
  private final ExecutorService executor;
  private final Map<Long, Lsn> delivered = new ConcurrentHashMap<>();
  private final PgGroupCommit groupCommit;
  private final Map<Long, Object> sourceLocks = new ConcurrentHashMap<>();

  private PostgresBackend(ChangeLogConfig config, PgSchema schema, PgConnections connections) {
    this.consumer = config.consumerName();
    this.batchSize = config.batchSize();
    this.schema = schema;
    this.connections = connections;
    int pool = config.intParam("pool", 4, 1, 64);
    this.executor = Executors.newFixedThreadPool(pool, new DaemonThreads("changelog-pg"));
    int writers = config.intParam("writers", pool, 1, pool);
    PgPublisher publisher = new PgPublisher(schema, connections);
    this.groupCommit =
        new PgGroupCommit(executor, writers, MAX_GROUP_EVENTS, publisher::publishGroup);
  }

  /**
   * Opens the backend: connects, creates the schema if missing and registers the consumer.
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
    String url = jdbcUrl(config);
    PgConnections connections = new PgConnections(url, driverProperties(config), pool);
    PgSchema schema = new PgSchema(schemaName);
    try (Connection c = connections.connect()) {
      schema.create(c);
      try (PreparedStatement ps = c.prepareStatement(schema.registerConsumer())) {
        ps.setString(1, config.consumerName());
        ps.executeUpdate();
      }
      c.commit();
    } catch (SQLException e) {
      connections.close();
      throw new ChangeLogConfigException(
          "uri",
          "cannot open the PostgreSQL change log at " + config.redacted() + ": " + withRootCause(e),
          e);
    }
    return new PostgresBackend(config, schema, connections);
  }

  /**
   * The message of {@code e}, followed by its innermost cause's class and message when that says
   * more: PgJDBC's "The connection attempt failed." hides an unknown host in its cause.
   */
  static String withRootCause(SQLException e) {
    String message = String.valueOf(e.getMessage());
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root == e || root.getMessage() == null || message.contains(root.getMessage())) {
      return message;
    }
    return message + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
  }

  private static String jdbcUrl(ChangeLogConfig config) {
    var uri = config.uri();
    if (uri.getHost() == null) {
      throw new ChangeLogConfigException("uri", "has no host: " + config.redacted());
    }
    int port = uri.getPort() < 0 ? 5432 : uri.getPort();
    String path = uri.getPath() == null ? "" : uri.getPath();
    String database = path.length() > 1 ? path.substring(1) : "postgres";
    return "jdbc:postgresql://" + uri.getHost() + ":" + port + "/" + database;
  }

  private static Properties driverProperties(ChangeLogConfig config) {
    Properties p = new Properties();
    // Rewrites a JDBC batch into multi-row INSERTs: one round trip per publish.
    p.setProperty("reWriteBatchedInserts", "true");
    p.setProperty("connectTimeout", "10");
    p.setProperty("loginTimeout", "10");
    p.setProperty("ApplicationName", "pgtrickle-changelog");
    String userInfo = config.uri().getUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      p.setProperty("user", colon < 0 ? userInfo : userInfo.substring(0, colon));
      if (colon >= 0) {
        p.setProperty("password", userInfo.substring(colon + 1));
      }
    }
    config
        .params()
        .forEach(
            (k, v) -> {
              if (!ChangeLogConfig.COMMON_PARAMS.contains(k) && !OWN_PARAMS.contains(k)) {
                p.setProperty(k, v);
              }
            });
    return p;
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
    return groupCommit.submit(sourceOid, batch);
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
              start = connections.inTransaction(c -> acked(c, sourceOid));
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
          connections.inTransaction(
              c -> {
                try (PreparedStatement ps = c.prepareStatement(schema.upsertPosition())) {
                  ps.setString(1, consumer);
                  ps.setLong(2, sourceOid);
                  ps.setString(3, upToLsn.walText());
                  ps.setInt(4, upToLsn.seq());
                  ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement(schema.prune())) {
                  ps.setLong(1, sourceOid);
                  ps.setLong(2, sourceOid);
                  ps.executeUpdate();
                }
                return null;
              });
          delivered.computeIfPresent(sourceOid, (k, v) -> Lsn.max(v, upToLsn));
          return null;
        });
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
