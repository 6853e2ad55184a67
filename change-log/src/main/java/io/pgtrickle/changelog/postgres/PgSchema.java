package io.pgtrickle.changelog.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The tables of the PostgreSQL backend and the statements on them, all in one schema.
 *
 * <ul>
 *   <li>{@code events(source_oid, lsn, seq, payload)}: primary key (source_oid, lsn, seq)
 *       guarantees one row per event and serves per-source reads in position order ({@code seq} is
 *       {@link io.pgtrickle.changelog.Lsn#seq()}, the sub-position). The payload is the exact JSON
 *       text ({@code text}, not {@code jsonb}: jsonb reorders keys and costs a parse on the hot
 *       path).
 *   <li>{@code consumers(name)}: every consumer that ever opened; events are pruned only once all
 *       of them acknowledged, so a consumer that has not yet read a source keeps its events.
 *   <li>{@code positions(consumer, source_oid, acked_lsn, acked_seq)}: acknowledged positions,
 *       updated in the same transaction that prunes.
 * </ul>
 *
 * LSNs are stored as {@code pg_lsn}, which orders them as unsigned numbers like PostgreSQL does;
 * positions compare as rows {@code (lsn, seq)}, which a btree on (source_oid, lsn, seq) serves.
 * Tables created before {@code seq} existed (development builds) must be dropped: the primary key
 * changed.
 */
final class PgSchema {

  final String events;
  final String consumers;
  final String positions;
  private final String schema;

  PgSchema(String schema) {
    this.schema = schema;
    this.events = schema + ".events";
    this.consumers = schema + ".consumers";
    this.positions = schema + ".positions";
  }

  void create(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      // Serialises concurrent first opens: CREATE ... IF NOT EXISTS still races on the catalog.
      s.execute("SELECT pg_advisory_xact_lock(hashtext('pgtrickle-changelog:" + schema + "'))");
      s.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + events
              + " (source_oid bigint NOT NULL, lsn pg_lsn NOT NULL,"
              + " seq integer NOT NULL DEFAULT 0, payload text NOT NULL,"
              + " PRIMARY KEY (source_oid, lsn, seq))");
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + consumers
              + " (name text PRIMARY KEY, registered_at timestamptz NOT NULL DEFAULT now())");
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + positions
              + " (consumer text NOT NULL REFERENCES "
              + consumers
              + " ON DELETE CASCADE, source_oid bigint NOT NULL, acked_lsn pg_lsn NOT NULL,"
              + " acked_seq integer NOT NULL DEFAULT 0, PRIMARY KEY (consumer, source_oid))");
    }
  }

  String registerConsumer() {
    return "INSERT INTO " + consumers + " (name) VALUES (?) ON CONFLICT DO NOTHING";
  }

  /**
   * COPY, which cannot skip conflicts: the publisher skips what {@link #selectHighest()} reports as
   * present, and the primary key refuses a duplicate that slips through a race. Binary format
   * ({@link PgCopyBinary}).
   */
  String copyEvents() {
    return "COPY " + events + " (source_oid, lsn, seq, payload) FROM STDIN WITH (FORMAT binary)";
  }

  String selectHighest() {
    return "SELECT lsn::text, seq FROM "
        + events
        + " WHERE source_oid = ? ORDER BY lsn DESC, seq DESC LIMIT 1";
  }

  String selectBatch() {
    return "SELECT payload FROM "
        + events
        + " WHERE source_oid = ? AND (lsn, seq) > (?::pg_lsn, ?) AND (lsn, seq) >= (?::pg_lsn, ?)"
        + " ORDER BY lsn, seq LIMIT ?";
  }

  String selectAcked() {
    return "SELECT acked_lsn::text, acked_seq FROM "
        + positions
        + " WHERE consumer = ? AND source_oid = ?";
  }

  String upsertPosition() {
    return "INSERT INTO "
        + positions
        + " AS p (consumer, source_oid, acked_lsn, acked_seq) VALUES (?, ?, ?::pg_lsn, ?)"
        + " ON CONFLICT (consumer, source_oid)"
        + " DO UPDATE SET acked_lsn = EXCLUDED.acked_lsn, acked_seq = EXCLUDED.acked_seq"
        + " WHERE (EXCLUDED.acked_lsn, EXCLUDED.acked_seq) > (p.acked_lsn, p.acked_seq)";
  }

  /**
   * The position up to which every registered consumer acknowledged a source: the lowest position,
   * {@code 0/0} for a consumer without one (it keeps everything). What is at or below it may be
   * deleted ({@link #pruneBelowLsn()}, {@link #pruneWithinLsn()}).
   */
  String pruneBound() {
    return "SELECT coalesce(p.acked_lsn, '0/0'::pg_lsn)::text, coalesce(p.acked_seq, 0) FROM "
        + consumers
        + " c LEFT JOIN "
        + positions
        + " p ON p.consumer = c.name AND p.source_oid = ?"
        + " ORDER BY coalesce(p.acked_lsn, '0/0'::pg_lsn), coalesce(p.acked_seq, 0) LIMIT 1";
  }

  /**
   * Deletes a source's events above a lower bound {@code (lsn, seq)} whose LSN is below the bound's
   * LSN. Parameters: source, lower LSN, bound LSN, lower LSN, lower seq.
   *
   * <p>The bounds are plain comparisons on {@code lsn}, not only a row comparison: a btree scan
   * stops at a row comparison's bound only when its first column decides it, so within one LSN (one
   * transaction's events) {@code (lsn, seq) <= (L, s)} read the source's events to the end of the
   * index, and one large transaction acknowledged in pieces cost a scan of the whole rest of it per
   * acknowledgment (see {@link #pruneWithinLsn()}).
   */
  String pruneBelowLsn() {
    return "DELETE FROM "
        + events
        + " WHERE source_oid = ? AND lsn >= ?::pg_lsn AND lsn < ?::pg_lsn"
        + " AND (lsn, seq) > (?::pg_lsn, ?)";
  }

  /**
   * Deletes a source's events at one LSN (one transaction's) with {@code seq} in a range: source,
   * LSN, seq above, seq at most. Equality on {@code source_oid} and {@code lsn} and a range on
   * {@code seq} bound the index scan on both ends, so it reads only the events it deletes.
   */
  String pruneWithinLsn() {
    return "DELETE FROM "
        + events
        + " WHERE source_oid = ? AND lsn = ?::pg_lsn AND seq > ? AND seq <= ?";
  }

  String countAbove() {
    return "SELECT count(*) FROM "
        + events
        + " e LEFT JOIN "
        + positions
        + " p ON p.consumer = ? AND p.source_oid = e.source_oid WHERE e.source_oid = ?"
        + " AND (e.lsn, e.seq) > (coalesce(p.acked_lsn, '0/0'::pg_lsn), coalesce(p.acked_seq, 0))";
  }
}
