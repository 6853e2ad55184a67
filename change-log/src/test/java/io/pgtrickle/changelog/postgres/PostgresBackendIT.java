package io.pgtrickle.changelog.postgres;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.drainQuiet;
import static io.pgtrickle.changelog.support.TestEvents.longs;
import static io.pgtrickle.changelog.support.TestEvents.lsns;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackendConformance;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.MalformedEventException;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite against a throwaway PostgreSQL 15, plus pruning and concurrent publishes
 * with one source's duplicate or bad event.
 */
class PostgresBackendIT extends ChangeLogBackendConformance {

  private static PostgresServer server;

  @BeforeAll
  static void startServer() {
    server = PostgresServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected String uri(String namespace, String consumer) {
    return server.uri("&schema=" + namespace + "&consumer=" + consumer);
  }

  @Override
  protected void restartServer() {
    server.restart();
  }

  @Override
  protected Map<String, String> badConfigurations() {
    int closed = ServerProcess.freePort();
    return Map.of(
        "postgresql://127.0.0.1:" + closed + "/postgres?user=postgres",
        "uri",
        server.uri("&schema=Bad-Name"),
        "schema",
        server.uri("&pool=0"),
        "pool",
        server.uri("&batch=many"),
        "batch",
        // Neither ours nor PgJDBC's: the driver would ignore it, so a typo was silently the
        // default.
        server.uri("&consumr=w1"),
        "consumr",
        "postgresql://127.0.0.1:" + server.port() + "/nosuchdb?user=postgres",
        "uri",
        "mysql://127.0.0.1/x",
        "uri");
  }

  @Test
  void eventsAcknowledgedByEveryConsumerArePruned() throws Exception {
    ChangeLogBackend a = open("a");
    ChangeLogBackend b = open("b");
    await(a.publish(5, range(5, 1, 10)));
    drain(a, 5, Lsn.ZERO, 10);
    await(a.acknowledge(5, Lsn.of(10)));
    assertThat(rows()).as("consumer b has not acknowledged").isEqualTo(10);
    drain(b, 5, Lsn.ZERO, 10);
    await(b.acknowledge(5, Lsn.of(6)));
    assertThat(rows()).isEqualTo(4);
    await(b.acknowledge(5, Lsn.of(10)));
    assertThat(rows()).isZero();
  }

  /**
   * One large transaction (all its events at one LSN), read and acknowledged in batches as the
   * worker does: each acknowledgment's prune reads about the events it deletes. It used to read the
   * transaction's whole rest per acknowledgment (a sequential scan; an index scan cannot stop at a
   * row comparison's bound within one LSN), quadratic in the transaction's size: here about 137,000
   * blocks instead of about 38,000 (a deleted row counts a block; reading and deleting each event
   * come to about two). Counted in blocks of the events table and its index, from the statistics
   * the consumer's sessions report as they end.
   */
  @Test
  void acknowledgingOneLargeTransactionInBatchesReadsEachEventAboutOnce() throws Exception {
    int events = 20_000;
    long commit = 0x5000000L;
    ChangeLogBackend publisher = ChangeLogBackends.open(server.uri("&schema=" + namespace));
    List<ChangeEvent> transaction = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      ChangeEvent e = oneTransaction(5, commit, i);
      transaction.add(e);
    }
    await(publisher.publish(5, transaction));
    publisher.close();
    sql("ALTER TABLE " + namespace + ".events SET (autovacuum_enabled = off)");
    long before = stableBlocksRead();
    ChangeLogBackend worker =
        ChangeLogBackends.open(server.uri("&schema=" + namespace + "&consumer=w&batch=100"));
    int acknowledged = 0;
    try {
      int read = 0;
      while (read < events) {
        List<ChangeEvent> batch = await(worker.consume(5, Lsn.ZERO));
        assertThat(batch).isNotEmpty();
        read += batch.size();
        await(worker.acknowledge(5, batch.get(batch.size() - 1).lsn()));
        acknowledged++;
      }
    } finally {
      worker.close(); // its sessions end and report their statistics
    }
    long blocks = stableBlocksRead() - before;
    long heapPages =
        Long.parseLong(one("SELECT pg_relation_size('" + namespace + ".events') / 8192"));
    System.out.printf(
        "one transaction of %d events, %d acknowledgments: %d blocks read (table of %d pages)%n",
        events, acknowledged, blocks, heapPages);
    assertThat(rows()).isZero();
    assertThat(acknowledged).isEqualTo(200);
    // Reading and pruning each read the table about once (plus its index, and the pages the
    // deletes dirty); a prune that reads the rest of the transaction reads it 40 times over.
    assertThat(blocks)
        .as(
            "blocks read for %s events in %s acknowledgments (table of %s pages)",
            events, acknowledged, heapPages)
        .isLessThan(3L * events);
  }

  /**
   * Blocks of the events table and its indexes read so far (cache hits included), once the
   * statistics stopped moving: an ending session reports its own as it exits.
   */
  private long stableBlocksRead() throws Exception {
    String q =
        "SELECT coalesce(heap_blks_hit, 0) + coalesce(heap_blks_read, 0)"
            + " + coalesce(idx_blks_hit, 0) + coalesce(idx_blks_read, 0)"
            + " FROM pg_statio_user_tables WHERE schemaname = '"
            + namespace
            + "' AND relname = 'events'";
    long last = -1;
    int same = 0;
    for (int i = 0; i < 200 && same < 4; i++) {
      ServerProcess.sleep(250);
      long now = Long.parseLong(one(q));
      same = now == last ? same + 1 : 0;
      last = now;
    }
    return last;
  }

  private void sql(String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private String one(String query) throws Exception {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        ResultSet rs = c.createStatement().executeQuery(query)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * A CDC consumer opens the change log without {@code consumer=} and only publishes. It used to
   * register the consumer {@code default} at open, which never acknowledged, so nothing the workers
   * acknowledged was ever pruned and the events table grew for ever.
   */
  @Test
  void anInstanceThatOnlyPublishesRegistersNoConsumerAndHoldsBackNoPruning() throws Exception {
    try (ChangeLogBackend publisher = ChangeLogBackends.open(server.uri("&schema=" + namespace))) {
      ChangeLogBackend worker = open("worker");
      await(publisher.publish(5, range(5, 1, 10)));
      assertThat(consumers()).containsExactly("worker");
      drain(worker, 5, Lsn.ZERO, 10);
      await(worker.acknowledge(5, Lsn.of(10)));
      assertThat(rows()).as("pruned: the publisher is no consumer").isZero();
      // An unnamed instance that does consume is the consumer `default`, from its first read on.
      await(publisher.publish(5, range(5, 11, 12)));
      assertThat(drain(publisher, 5, Lsn.ZERO, 2)).hasSize(2);
      assertThat(consumers()).containsExactly("default", "worker");
      await(worker.acknowledge(5, Lsn.of(12)));
      assertThat(rows()).as("kept for default").isEqualTo(2);
      await(publisher.acknowledge(5, Lsn.of(12)));
      assertThat(rows()).isZero();
    }
  }

  @Test
  void twoInstancesPublishingOneSourceStoreEachEventOnce() {
    ChangeLogBackend a = open("a");
    ChangeLogBackend b = open("b");
    await(a.publish(8, range(8, 1, 5)));
    await(b.publish(8, range(8, 1, 8)));
    await(a.publish(8, range(8, 1, 10))); // a remembers 5 as stored: the key refuses, a retries
    assertThat(io.pgtrickle.changelog.support.TestEvents.lsns(drain(b, 8, Lsn.ZERO, 10)))
        .isEqualTo(io.pgtrickle.changelog.support.TestEvents.longs(1, 10));
    assertThat(io.pgtrickle.changelog.support.TestEvents.drainQuiet(b, 8)).isEmpty();
  }

  @Test
  void theJdbcFormOfTheUriWorksToo() {
    String jdbc = "jdbc:" + uri(namespace, "jdbc");
    try (ChangeLogBackend b = io.pgtrickle.changelog.ChangeLogBackends.open(jdbc)) {
      await(b.publish(6, range(6, 1, 2)));
      assertThat(drain(b, 6, Lsn.ZERO, 2)).hasSize(2);
    }
  }

  /**
   * A database whose name needs encoding ({@code +}, a blank, {@code #}, {@code %}): the URI's
   * path, percent-encoded as the operator writes it, reaches that database and no other (before,
   * PgJDBC decoded the name a second time and looked for "a b c#%").
   */
  @Test
  void aDatabaseNameThatNeedsEncodingIsReached() throws Exception {
    String name = "a+b c#%";
    try (Connection c = java.sql.DriverManager.getConnection(server.jdbcUrl());
        java.sql.Statement st = c.createStatement()) {
      st.execute("create database \"" + name + "\"");
    }
    String uri =
        "postgresql://127.0.0.1:"
            + server.port()
            + "/a%2Bb%20c%23%25?user=postgres&schema=enc&consumer=w";
    try (ChangeLogBackend b = io.pgtrickle.changelog.ChangeLogBackends.open(uri)) {
      await(b.publish(7, range(7, 1, 2)));
      assertThat(drain(b, 7, Lsn.ZERO, 2)).hasSize(2);
    }
    String jdbc = "jdbc:postgresql://127.0.0.1:" + server.port() + "/a%2Bb%20c%23%25";
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", "postgres");
    try (Connection c = java.sql.DriverManager.getConnection(jdbc, p);
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs =
            st.executeQuery("select current_database(), count(*) from enc.events")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(name);
      assertThat(rs.getLong(2)).isEqualTo(2);
    }
  }

  /**
   * A database whose administrator limits application sessions (here the role: 1 ms for a statement
   * and for idleness in a transaction, so that practically every statement would be cancelled and
   * every transaction ended): the change log's sessions turn the limits off for themselves ({@link
   * SessionLimits}), so opening, publishing, reading and pruning all work. Before, each was
   * cancelled ("canceling statement due to statement timeout") and retried for ever.
   */
  @Test
  void theDatabaseTimeLimitsForApplicationsDoNotCancelTheChangeLog() throws Exception {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        Statement st = c.createStatement()) {
      st.execute(
          "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'limited') THEN"
              + " CREATE ROLE limited LOGIN SUPERUSER; END IF; END$$");
      st.execute("ALTER ROLE limited SET statement_timeout = '1ms'");
      st.execute("ALTER ROLE limited SET idle_in_transaction_session_timeout = '1ms'");
    }
    String uri =
        "postgresql://127.0.0.1:"
            + server.port()
            + "/postgres?user=limited&schema="
            + namespace
            + "&consumer=w";
    try (ChangeLogBackend b = ChangeLogBackends.open(uri)) {
      await(b.publish(9, range(9, 1, 20_000)));
      assertThat(drain(b, 9, Lsn.ZERO, 20_000)).hasSize(20_000);
      await(b.acknowledge(9, Lsn.of(20_000)));
    }
    assertThat(rows()).as("pruned").isZero();
  }

  /*
   * Concurrent publishes of many sources while one of them repeats events that another instance
   * stored behind this one's back (its remembered highest position is stale, so its COPY hits the
   * primary key and it retries against the stored one), or carries a value JSON cannot hold: every
   * other source's events are stored exactly once and their publishes complete. The publishes are
   * made to pile up: a SHARE lock on the events table, held by another connection, holds the first
   * COPYs (two connections, pool=2) while the rest queue behind them, and is released once all are
   * queued. (Written for group commit across publishers, which combined such a pile into one COPY
   * and fell back to one publish at a time on a failure: tried and not kept, see the README.)
   */

  @Test
  void aDuplicateInOneOfManyConcurrentPublishesLosesNothingOfTheOthers() throws Exception {
    String schema = namespace;
    try (ChangeLogBackend a = openPool2(schema, "a");
        ChangeLogBackend b = openPool2(schema, "b")) {
      long stale = 900;
      await(a.publish(stale, range(stale, 1, 5))); // a remembers 5 as the highest stored
      await(b.publish(stale, range(stale, 1, 8))); // b stores 6..8 behind a's back
      List<CompletableFuture<Void>> queued = new ArrayList<>();
      try (Connection lock = lockEvents(schema)) {
        CompletableFuture<Void> first = a.publish(100, range(100, 1, 3)).toCompletableFuture();
        awaitWaitingOnLock(schema);
        for (long s = 101; s < 117; s++) {
          queued.add(a.publish(s, range(s, 1, 20)).toCompletableFuture());
        }
        // a's COPY of 6..10 hits the key on 6..8, and a retries against the stored 8.
        queued.add(a.publish(stale, range(stale, 1, 10)).toCompletableFuture());
        ServerProcess.sleep(200);
        assertThat(first).as("the first publish waits on the lock").isNotDone();
        assertThat(queued).as("the others wait behind it").noneMatch(CompletableFuture::isDone);
        lock.commit();
        await(first);
      }
      queued.forEach(f -> await(f));
      for (long s = 101; s < 117; s++) {
        List<ChangeEvent> got = drain(b, s, Lsn.ZERO, 20);
        assertThat(lsns(got)).as("source %d", s).isEqualTo(longs(1, 20));
        assertThat(drainQuiet(b, s)).isEmpty();
        await(b.acknowledge(s, Lsn.of(20)));
        assertThat(await(b.lag(s))).isZero();
      }
      assertThat(lsns(drain(b, stale, Lsn.ZERO, 10))).isEqualTo(longs(1, 10));
      assertThat(drainQuiet(b, stale)).isEmpty();
      assertThat(rowsIn(schema)).isEqualTo(3 + 16 * 20 + 10);
    }
  }

  @Test
  void anEventThatCannotBeWrittenFailsOnlyItsOwnPublish() throws Exception {
    String schema = namespace;
    try (ChangeLogBackend a = openPool2(schema, "a")) {
      List<CompletableFuture<Void>> good = new ArrayList<>();
      CompletableFuture<Void> bad;
      try (Connection lock = lockEvents(schema)) {
        CompletableFuture<Void> first = a.publish(100, range(100, 1, 3)).toCompletableFuture();
        awaitWaitingOnLock(schema);
        good.add(a.publish(101, range(101, 1, 10)).toCompletableFuture());
        bad = a.publish(102, List.of(unwritable(102, 1))).toCompletableFuture();
        good.add(a.publish(103, range(103, 1, 10)).toCompletableFuture());
        lock.commit();
        await(first);
      }
      good.forEach(f -> await(f));
      assertThatThrownBy(() -> bad.get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(MalformedEventException.class);
      assertThat(lsns(drain(a, 101, Lsn.ZERO, 10))).isEqualTo(longs(1, 10));
      assertThat(lsns(drain(a, 103, Lsn.ZERO, 10))).isEqualTo(longs(1, 10));
      assertThat(rowsIn(schema)).isEqualTo(3 + 10 + 10);
      await(a.publish(102, range(102, 1, 2))); // the source is not stuck
      assertThat(lsns(drain(a, 102, Lsn.ZERO, 2))).isEqualTo(longs(1, 2));
    }
  }

  private static ChangeLogBackend openPool2(String schema, String consumer) {
    return ChangeLogBackends.open(server.uri("&schema=" + schema + "&pool=2&consumer=" + consumer));
  }

  /**
   * A transaction holding a SHARE lock on the events table (created when a backend opened the
   * schema): a COPY into it waits for the transaction's end.
   */
  private static Connection lockEvents(String schema) throws Exception {
    Connection c = DriverManager.getConnection(server.jdbcUrl());
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("LOCK TABLE " + schema + ".events IN SHARE MODE");
    }
    return c;
  }

  /** Waits until a change-log connection waits on a lock: the writer's first COPY. */
  private static void awaitWaitingOnLock(String schema) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        Statement s = c.createStatement()) {
      while (System.nanoTime() < deadline) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    + " AND query LIKE 'COPY "
                    + schema
                    + ".events%'")) {
          rs.next();
          if (rs.getInt(1) > 0) {
            return;
          }
        }
        ServerProcess.sleep(20);
      }
    }
    throw new AssertionError("no COPY waited on the lock within 30 s");
  }

  /** The {@code index}-th INSERT of a transaction committed at {@code commit}. */
  private static ChangeEvent oneTransaction(long source, long commit, int index) {
    Map<String, Object> columns = new LinkedHashMap<>();
    columns.put("id", index);
    columns.put("pad", "p".repeat(100));
    return ChangeEvent.insert(
        source, Lsn.of(commit, index), 1000, columns, java.time.Instant.EPOCH);
  }

  private static ChangeEvent unwritable(long source, long lsn) {
    Map<String, Object> columns = new LinkedHashMap<>();
    columns.put("id", lsn);
    columns.put("opaque", new Object()); // no JSON form: Jackson refuses an empty bean
    return ChangeEvent.insert(source, Lsn.of(lsn), lsn, columns, java.time.Instant.EPOCH);
  }

  private static long rowsIn(String schema) throws Exception {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        ResultSet rs =
            c.createStatement().executeQuery("SELECT count(*) FROM " + schema + ".events")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private List<String> consumers() throws Exception {
    List<String> names = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres?user=postgres");
        ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT name FROM " + namespace + ".consumers ORDER BY name")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  private long rows() throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres?user=postgres");
        ResultSet rs =
            c.createStatement().executeQuery("SELECT count(*) FROM " + namespace + ".events")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
