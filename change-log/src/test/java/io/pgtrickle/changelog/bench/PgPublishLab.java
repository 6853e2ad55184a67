package io.pgtrickle.changelog.bench;

import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.TestEvents;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * {@code make bench-changelog BENCH_BACKENDS=pglab}: what separates the PostgreSQL backend from its
 * floor, measured server side. Runs variants of the same write (8 connections, batches of 100
 * events of 1 KB) back to back, alternating their order each round, each with {@link
 * PgServerStats}: the backend, the floor, and raw binary COPYs of pre-encoded JSON (no JSON work in
 * the client) into a table like the backend's, with and without its primary key. Variants to run:
 * {@code LAB_VARIANTS=backend,floor,...} (default all).
 */
final class PgPublishLab {

  private static final int THREADS = ChangeLogBench.PUBLISHERS;
  private static final int BATCH = 100;

  private PgPublishLab() {}

  interface Variant {
    double run(long firstSource) throws Exception;
  }

  static void run(long events, int rounds) throws Exception {
    try (PostgresServer server = PostgresServer.start(PostgresServer.defaultBin(), labOptions());
        PgServerStats stats = new PgServerStats(server.jdbcUrl());
        ChangeLogBackend log =
            ChangeLogBackends.open(server.uri("&schema=lab&pool=8&consumer=publisher"))) {
      byte[] json = ChangeEventCodec.encode(TestEvents.sized(1, 1, PublishBench.EVENT_BYTES));
      try (Connection c = DriverManager.getConnection(server.jdbcUrl());
          Statement s = c.createStatement()) {
        for (String t : List.of("raw_pk", "raw_nopk", "raw_bigint")) {
          s.execute(
              "CREATE TABLE "
                  + t
                  + " (source_oid bigint NOT NULL, lsn pg_lsn NOT NULL, seq integer NOT NULL"
                  + " DEFAULT 0, payload text NOT NULL"
                  + (t.equals("raw_pk") ? ", PRIMARY KEY (source_oid, lsn, seq))" : ")"));
        }
        s.execute("CREATE INDEX ON raw_bigint (source_oid, lsn)");
        // The same unique key in 16 bytes (oid is an unsigned 32-bit integer): narrow enough for
        // btree's split of localized ascending inserts, which (bigint, pg_lsn, int4) is not.
        s.execute(
            "CREATE TABLE raw_pk16 (source_oid oid NOT NULL, lsn_hi oid NOT NULL, lsn_lo oid NOT"
                + " NULL, seq integer NOT NULL, payload text NOT NULL,"
                + " PRIMARY KEY (source_oid, lsn_hi, lsn_lo, seq))");
        // The backend on tables created beforehand without its primary key / with a 2-column index.
        for (String schema : List.of("lab_nopk", "lab_2col")) {
          s.execute("CREATE SCHEMA " + schema);
          s.execute(
              "CREATE TABLE "
                  + schema
                  + ".events (source_oid bigint NOT NULL, lsn pg_lsn NOT NULL,"
                  + " seq integer NOT NULL DEFAULT 0, payload text NOT NULL)");
        }
        s.execute("CREATE INDEX ON lab_2col.events (source_oid, lsn)");
      }
      ChangeLogBackend nopk =
          ChangeLogBackends.open(server.uri("&schema=lab_nopk&pool=8&consumer=publisher"));
      ChangeLogBackend twoCol =
          ChangeLogBackends.open(server.uri("&schema=lab_2col&pool=8&consumer=publisher"));
      Map<String, Variant> all = new LinkedHashMap<>();
      all.put(
          "backend",
          first -> PublishBench.publishCount(log, first, THREADS, BATCH, events).eventsPerSecond());
      all.put(
          "backend-nopk",
          first ->
              PublishBench.publishCount(nopk, first, THREADS, BATCH, events).eventsPerSecond());
      all.put(
          "backend-2col",
          first ->
              PublishBench.publishCount(twoCol, first, THREADS, BATCH, events).eventsPerSecond());
      all.put("floor", first -> Floors.postgres(server.port(), THREADS, BATCH, events));
      all.put(
          "backend-fresh",
          first -> {
            // A new schema each time, the previous one dropped first: as the floor's table.
            try (Connection c = DriverManager.getConnection(server.jdbcUrl());
                Statement s = c.createStatement()) {
              s.execute("DROP SCHEMA IF EXISTS lab_fresh CASCADE");
            }
            try (ChangeLogBackend fresh =
                ChangeLogBackends.open(server.uri("&schema=lab_fresh&pool=8&consumer=publisher"))) {
              return PublishBench.publishCount(fresh, first, THREADS, BATCH, events)
                  .eventsPerSecond();
            }
          });
      all.put("floor-keep", first -> floorKeep(server, events));
      all.put("copy-pk", first -> rawCopy(server, "raw_pk", json, first, events));
      all.put("copy-pk16", first -> rawCopy(server, "raw_pk16", json, first, events));
      all.put("copy-nopk", first -> rawCopy(server, "raw_nopk", json, first, events));
      all.put("copy-2col-idx", first -> rawCopy(server, "raw_bigint", json, first, events));
      List<String> names = new ArrayList<>(all.keySet());
      String only = System.getenv().getOrDefault("LAB_VARIANTS", "");
      if (!only.isBlank()) {
        names = List.of(only.split(","));
      }
      long source = 1000;
      for (int round = 1; round <= rounds; round++) {
        List<String> order = new ArrayList<>(names);
        if (round % 2 == 0) {
          java.util.Collections.reverse(order);
        }
        for (String name : order) {
          String load = ChangeLogBench.loadAverage();
          stats.start();
          double eps = all.get(name).run(source);
          String detail = stats.stop(events);
          source += 100;
          System.out.printf(
              Locale.ROOT,
              "lab round %d %-14s load %s eps=%.0f %s%n",
              round,
              name,
              load,
              eps,
              detail);
        }
      }
      try (Connection c = DriverManager.getConnection(server.jdbcUrl());
          Statement s = c.createStatement();
          java.sql.ResultSet rs =
              s.executeQuery(
                  "SELECT c.oid::regclass, pg_relation_size(c.oid), t.reltuples::bigint"
                      + " FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid"
                      + " JOIN pg_class t ON t.oid = i.indrelid"
                      + " WHERE c.relnamespace::regnamespace::text LIKE ANY"
                      + " (ARRAY['public', 'lab%'])")) {
        while (rs.next()) {
          System.out.printf(Locale.ROOT, "index %s: %d bytes%n", rs.getString(1), rs.getLong(2));
        }
      }
      // Whether the 1 KB JSON payloads were compressed or moved out of line (TOAST).
      try (Connection c = DriverManager.getConnection(server.jdbcUrl());
          Statement s = c.createStatement();
          java.sql.ResultSet rs =
              s.executeQuery(
                  "SELECT count(*), count(pg_column_compression(payload)),"
                      + " avg(pg_column_size(payload))::int,"
                      + " (SELECT pg_relation_size(reltoastrelid) FROM pg_class"
                      + " WHERE oid = 'lab.events'::regclass) FROM lab.events")) {
        rs.next();
        System.out.printf(
            Locale.ROOT,
            "lab.events: %d rows, %d payloads compressed, %d bytes a payload stored,"
                + " TOAST table %d bytes%n",
            rs.getLong(1),
            rs.getLong(2),
            rs.getLong(3),
            rs.getLong(4));
      }
    }
  }

  /** Extra server options for the lab, e.g. the operator's: LAB_PG_OPTIONS="-c ...". */
  private static String labOptions() {
    return System.getenv().getOrDefault("LAB_PG_OPTIONS", "");
  }

  /** The floor's INSERTs into a table that is not dropped between measurements (it grows). */
  private static double floorKeep(PostgresServer server, long total) throws Exception {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS floor_keep (id bigint, payload text)");
    }
    String payload = "x".repeat(PublishBench.EVENT_BYTES);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    long share = (total + THREADS - 1) / THREADS;
    long start = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      workers.add(
          pool.submit(
              () -> {
                java.util.Properties p = new java.util.Properties();
                p.setProperty("reWriteBatchedInserts", "true");
                try (Connection c = DriverManager.getConnection(server.jdbcUrl(), p);
                    java.sql.PreparedStatement ps =
                        c.prepareStatement("INSERT INTO floor_keep VALUES (?, ?)")) {
                  c.setAutoCommit(false);
                  for (long done = 0; done < share; done += BATCH) {
                    for (int i = 0; i < BATCH; i++) {
                      ps.setLong(1, i);
                      ps.setString(2, payload);
                      ps.addBatch();
                    }
                    ps.executeBatch();
                    c.commit();
                  }
                }
                return null;
              }));
    }
    for (Future<?> w : workers) {
      w.get();
    }
    pool.shutdown();
    return share * THREADS / ((System.nanoTime() - start) / 1e9);
  }

  /** Binary COPYs of {@value #BATCH} rows in auto-commit from {@value #THREADS} connections. */
  private static double rawCopy(
      PostgresServer server, String table, byte[] json, long firstSource, long total)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    long share = (total + THREADS - 1) / THREADS;
    long start = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      long source = firstSource + t;
      workers.add(
          pool.submit(
              () -> {
                try (Connection c = DriverManager.getConnection(server.jdbcUrl())) {
                  c.setAutoCommit(true);
                  ByteArrayOutputStream bytes = new ByteArrayOutputStream(BATCH * 1200);
                  long lsn = 0;
                  for (long done = 0; done < share; done += BATCH) {
                    bytes.reset();
                    DataOutputStream out = new DataOutputStream(bytes);
                    out.write(
                        new byte[] {
                          'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0
                        });
                    out.writeInt(0);
                    out.writeInt(0);
                    boolean split = table.equals("raw_pk16");
                    for (int i = 0; i < BATCH; i++) {
                      ++lsn;
                      if (split) {
                        out.writeShort(5);
                        out.writeInt(4);
                        out.writeInt((int) source);
                        out.writeInt(4);
                        out.writeInt((int) (lsn >>> 32));
                        out.writeInt(4);
                        out.writeInt((int) lsn);
                      } else {
                        out.writeShort(4);
                        out.writeInt(8);
                        out.writeLong(source);
                        out.writeInt(8);
                        out.writeLong(lsn);
                      }
                      out.writeInt(4);
                      out.writeInt(0);
                      out.writeInt(json.length);
                      out.write(json);
                    }
                    out.writeShort(-1);
                    CopyIn copy =
                        c.unwrap(PGConnection.class)
                            .getCopyAPI()
                            .copyIn(
                                "COPY "
                                    + table
                                    + (split
                                        ? " (source_oid, lsn_hi, lsn_lo, seq, payload)"
                                        : " (source_oid, lsn, seq, payload)")
                                    + " FROM STDIN WITH (FORMAT binary)");
                    byte[] b = bytes.toByteArray();
                    copy.writeToCopy(b, 0, b.length);
                    copy.endCopy();
                  }
                }
                return null;
              }));
    }
    for (Future<?> w : workers) {
      w.get();
    }
    pool.shutdown();
    return share * THREADS / ((System.nanoTime() - start) / 1e9);
  }
}
