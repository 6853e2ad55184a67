package io.pgtrickle.worker.dvm.support;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Plays the worker's ingest in tests: row triggers record every write of a tracked table, in the
 * writing transaction, into its change buffer {@code pgtrickle_changes.changes_<oid>} exactly as
 * CONTRACTS.md §3 defines it (full new image for INSERT/UPDATE, full old image for UPDATE/DELETE,
 * 'T' for TRUNCATE), with the placeholder position {@code 0/0}. {@link #stamp} then gives the rows
 * of committed transactions their position: after each transaction of a sequential test, the WAL
 * insert position (greater than that transaction's commit, smaller than every later one). The
 * concurrency test uses {@link CommitStamper} instead (commit LSNs from logical decoding).
 */
public final class ChangeCapture {

  /** The placeholder position of a recorded change not yet stamped. */
  public static final String UNSTAMPED = "0/0";

  private ChangeCapture() {}

  /** The change-buffer schema and the sequence the triggers number changes with. */
  public static void install(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS pgtrickle_changes");
      s.execute("CREATE SCHEMA IF NOT EXISTS dvm_capture");
      s.execute("CREATE SEQUENCE IF NOT EXISTS dvm_capture.change_seq AS integer CYCLE");
    }
  }

  /**
   * Creates the change buffer of {@code table} and the recording triggers.
   *
   * @return the table's oid
   */
  public static long track(Connection c, String table) throws SQLException {
    long oid;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT '" + table + "'::regclass::oid")) {
      rs.next();
      oid = rs.getLong(1);
    }
    String buffer = "pgtrickle_changes.changes_" + oid;
    String fn = "dvm_capture.record_" + oid;
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + buffer
              + " (lsn pg_lsn NOT NULL, seq int NOT NULL, xid bigint NOT NULL,"
              + " action \"char\" NOT NULL, new_row jsonb, old_row jsonb, PRIMARY KEY (lsn, seq))");
      s.execute(
          "CREATE OR REPLACE FUNCTION "
              + fn
              + "() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
              + " IF TG_OP = 'TRUNCATE' THEN INSERT INTO "
              + buffer
              + " VALUES ('0/0', nextval('dvm_capture.change_seq'), txid_current(), 'T', NULL, NULL);"
              + " RETURN NULL; END IF;"
              + " INSERT INTO "
              + buffer
              + " VALUES ('0/0', nextval('dvm_capture.change_seq'), txid_current(),"
              + " CASE TG_OP WHEN 'INSERT' THEN 'I' WHEN 'UPDATE' THEN 'U' ELSE 'D' END,"
              + " CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,"
              + " CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END);"
              + " RETURN NULL; END $f$");
      s.execute("DROP TRIGGER IF EXISTS dvm_capture_row ON " + table);
      s.execute("DROP TRIGGER IF EXISTS dvm_capture_truncate ON " + table);
      s.execute(
          "CREATE TRIGGER dvm_capture_row AFTER INSERT OR UPDATE OR DELETE ON "
              + table
              + " FOR EACH ROW EXECUTE FUNCTION "
              + fn
              + "()");
      s.execute(
          "CREATE TRIGGER dvm_capture_truncate AFTER TRUNCATE ON "
              + table
              + " FOR EACH STATEMENT EXECUTE FUNCTION "
              + fn
              + "()");
      s.execute("ALTER TABLE " + table + " REPLICA IDENTITY FULL");
    }
    return oid;
  }

  /** Every change buffer. */
  public static List<String> buffers(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                    + " WHERE schemaname = 'pgtrickle_changes'")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /**
   * Gives every unstamped change (of transactions committed so far; no other transaction may be
   * writing) one position: the WAL insert position, read once, in one statement.
   */
  public static void stamp(Connection c, List<String> buffers) throws SQLException {
    StringBuilder sql = new StringBuilder("WITH l AS (SELECT pg_current_wal_insert_lsn() AS lsn)");
    for (int i = 0; i < buffers.size(); i++) {
      sql.append(", u")
          .append(i)
          .append(" AS (UPDATE ")
          .append(buffers.get(i))
          .append(" SET lsn = l.lsn FROM l WHERE ")
          .append(buffers.get(i))
          .append(".lsn = '0/0' RETURNING 1)");
    }
    sql.append(" SELECT 1");
    try (Statement s = c.createStatement()) {
      s.execute(sql.toString());
    }
  }
}
