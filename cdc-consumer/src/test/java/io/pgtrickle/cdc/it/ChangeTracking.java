package io.pgtrickle.cdc.it;

/**
 * The worker's catalog table the consumer follows, created exactly as CONTRACTS.md §1 defines it
 * (the worker's branch installs the real one with Flyway), and small helpers around it.
 */
final class ChangeTracking {

  private ChangeTracking() {}

  /** Creates schema {@code pgtrickle} and {@code pgtrickle.pgt_change_tracking}. */
  static void install(SourceDb db) {
    db.sql(
        "CREATE SCHEMA IF NOT EXISTS pgtrickle",
        "CREATE TABLE pgtrickle.pgt_change_tracking ("
            + " source_relid regclass PRIMARY KEY,"
            + " slot_name text NULL,"
            + " captured_since_lsn pg_lsn NULL,"
            + " ingested_lsn pg_lsn NULL,"
            + " tracked_by_pgt_ids bigint[])");
  }

  /** What the SQL front door does when a stream table first needs {@code table}. */
  static void track(SourceDb db, String table) {
    db.sql(
        "INSERT INTO pgtrickle.pgt_change_tracking (source_relid, tracked_by_pgt_ids)"
            + " VALUES ('"
            + table
            + "'::regclass, '{1}')");
  }

  /** What the front door does when no stream table needs {@code table} any more. */
  static void untrack(SourceDb db, String table) {
    db.sql(
        "DELETE FROM pgtrickle.pgt_change_tracking WHERE source_relid = '" + table + "'::regclass");
  }

  /** {@code slot_name} of the table's row. */
  static String slotOf(SourceDb db, String table) {
    return db.queryOne(
        "SELECT slot_name FROM pgtrickle.pgt_change_tracking WHERE source_relid = '"
            + table
            + "'::regclass");
  }

  /** {@code captured_since_lsn} of the table's row, or null. */
  static String capturedSince(SourceDb db, String table) {
    return db.queryOne(
        "SELECT captured_since_lsn::text FROM pgtrickle.pgt_change_tracking"
            + " WHERE source_relid = '"
            + table
            + "'::regclass");
  }

  /** Whether the table is a member of the publication (by OID, partitioned roots included). */
  static boolean published(SourceDb db, String publication, String table) {
    return "1"
        .equals(
            db.queryOne(
                "SELECT count(*) FROM pg_publication_rel r JOIN pg_publication p"
                    + " ON p.oid = r.prpubid WHERE p.pubname = '"
                    + publication
                    + "' AND r.prrelid = '"
                    + table
                    + "'::regclass"));
  }

  /** Whether the table is in any publication at all. */
  static boolean inAnyPublication(SourceDb db, String table) {
    return !"0"
        .equals(
            db.queryOne(
                "SELECT count(*) FROM pg_publication_rel WHERE prrelid = '"
                    + table
                    + "'::regclass"));
  }
}
