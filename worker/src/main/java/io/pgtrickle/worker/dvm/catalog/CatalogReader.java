package io.pgtrickle.worker.dvm.catalog;

import io.pgtrickle.worker.dvm.catalog.TypeRef.Family;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Asks PostgreSQL what the defining query means: its normalized text, the types of its columns and
 * expressions, the tables it reads and their keys. Temporary views are created inside a savepoint
 * that {@link #close()} rolls back, so nothing remains; on an autocommit connection a transaction
 * is opened and rolled back.
 */
public final class CatalogReader implements AutoCloseable {

  private final Connection conn;
  private final boolean restoreAutocommit;
  private final Savepoint savepoint;
  private final Map<String, TypeRef> types = new HashMap<>();
  private int probes;

  public CatalogReader(Connection conn) throws SQLException {
    this.conn = conn;
    this.restoreAutocommit = conn.getAutoCommit();
    if (restoreAutocommit) {
      conn.setAutoCommit(false);
    }
    this.savepoint = conn.setSavepoint();
  }

  /** Sets {@code search_path} for the rest of this reader's savepoint (restored on close). */
  public void setSearchPath(String searchPath) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT pg_catalog.set_config('search_path', ?, true)")) {
      ps.setString(1, searchPath);
      ps.execute();
    }
  }

  /** {@code server_version_num}, e.g. 150004. */
  public int serverVersion() throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /**
   * The query as PostgreSQL normalizes it: {@code SELECT * FROM (<query>) __pgt_q} is created as a
   * temporary view and printed back with {@code search_path} empty, so every relation and user
   * function is schema-qualified and every column inside the subquery alias-qualified.
   *
   * @return the view's text, its output columns and what it references
   * @throws SQLException when PostgreSQL rejects the query (the message names the problem)
   */
  public NormalizedQuery normalize(String query) throws SQLException {
    String view = nextProbeName();
    Savepoint sp = conn.setSavepoint();
    try (Statement s = conn.createStatement()) {
      s.execute("CREATE TEMPORARY VIEW " + view + " AS SELECT * FROM (" + query + ") __pgt_q");
    } catch (SQLException e) {
      conn.rollback(sp);
      throw e;
    }
    String text;
    try (Statement s = conn.createStatement()) {
      // For the rest of this reader's savepoint (its rollback restores the caller's setting):
      // the text names everything outside pg_catalog schema-qualified, and the probes built
      // from it resolve the same way.
      s.execute("SET LOCAL search_path = ''");
      try (ResultSet rs =
          s.executeQuery(
              "SELECT pg_catalog.pg_get_viewdef('pg_temp."
                  + view
                  + "'::pg_catalog.regclass, false)")) {
        rs.next();
        text = rs.getString(1);
      }
    }
    List<ColumnInfo> columns = viewColumns(view);
    QueryTreeScan scan = QueryTreeScan.of(conn, view);
    return new NormalizedQuery(text, columns, scan.functions(), scan.blockers());
  }

  /**
   * The result columns of {@code select} (a full SELECT statement text), through a temporary view.
   */
  public List<ColumnInfo> probe(String select) throws SQLException {
    String view = nextProbeName();
    try (Statement s = conn.createStatement()) {
      s.execute("CREATE TEMPORARY VIEW " + view + " AS " + select);
    }
    return viewColumns(view);
  }

  private String nextProbeName() {
    return "__pgt_probe_" + (++probes);
  }

  private List<ColumnInfo> viewColumns(String view) throws SQLException {
    List<ColumnInfo> out = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT a.attname, a.atttypid, a.atttypmod, a.attcollation FROM pg_catalog.pg_attribute a"
                + " WHERE a.attrelid = ('pg_temp.' || ?)::pg_catalog.regclass AND a.attnum > 0"
                + " AND NOT a.attisdropped ORDER BY a.attnum")) {
      ps.setString(1, view);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new ColumnInfo(
                  rs.getString(1), type(rs.getLong(2), rs.getInt(3), rs.getLong(4)), false));
        }
      }
    }
    return out;
  }

  /**
   * The table {@code schema.name} with its live columns and primary key.
   *
   * @throws SQLException if there is no such relation
   */
  public RelationInfo relation(String schema, String name) throws SQLException {
    long oid;
    char relkind;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT c.oid, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("relation " + schema + "." + name + " does not exist", "42P01");
        }
        oid = rs.getLong(1);
        relkind = rs.getString(2).charAt(0);
      }
    }
    List<ColumnInfo> columns = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT attname, atttypid, atttypmod, attcollation, attnotnull FROM pg_catalog.pg_attribute"
                + " WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(
              new ColumnInfo(
                  rs.getString(1),
                  type(rs.getLong(2), rs.getInt(3), rs.getLong(4)),
                  rs.getBoolean(5)));
        }
      }
    }
    List<String> pk = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT a.attname FROM pg_catalog.pg_index i"
                + " CROSS JOIN LATERAL pg_catalog.unnest(i.indkey) WITH ORDINALITY k(attnum, ord)"
                + " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ? AND i.indisprimary ORDER BY k.ord")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pk.add(rs.getString(1));
        }
      }
    }
    return new RelationInfo(oid, schema, name, relkind, List.copyOf(columns), List.copyOf(pk));
  }

  /** Whether {@code oid} is the storage table of a stream table (pg_trickle's catalog, if any). */
  public boolean isStreamTable(long oid) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT pg_catalog.to_regclass('pgtrickle.pgt_stream_tables') IS NOT NULL")) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return false;
        }
      }
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_relid::pg_catalog.oid = ?::pg_catalog.oid)")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** The type {@code oid} with modifier and collation, with its properties (cached). */
  public TypeRef type(long oid, int typmod, long collation) throws SQLException {
    String key = oid + "/" + typmod + "/" + collation;
    TypeRef cached = types.get(key);
    if (cached != null) {
      return cached;
    }
    TypeRef t = TypeProperties.load(conn, oid, typmod, collation);
    types.put(key, t);
    return t;
  }

  /** Rolls back every temporary object and restores the connection's autocommit mode. */
  @Override
  public void close() throws SQLException {
    try {
      conn.rollback(savepoint);
    } finally {
      if (restoreAutocommit) {
        conn.rollback();
        conn.setAutoCommit(true);
      }
    }
  }

  /** Family of a built-in number type, OTHER for the rest. */
  static Family family(long oid) {
    if (oid == TypeRef.INT2 || oid == TypeRef.INT4 || oid == TypeRef.INT8) {
      return Family.INTEGER;
    }
    if (oid == TypeRef.NUMERIC_OID) {
      return Family.NUMERIC;
    }
    if (oid == TypeRef.FLOAT4 || oid == TypeRef.FLOAT8) {
      return Family.FLOAT;
    }
    return Family.OTHER;
  }
}
