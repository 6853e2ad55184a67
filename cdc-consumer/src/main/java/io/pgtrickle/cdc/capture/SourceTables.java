package io.pgtrickle.cdc.capture;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Looks tables up in the source's catalog, by name ({@code --tables}) or by OID (the catalog's
 * rows), with what would keep each from being published: see {@link ReplicaIdentity}.
 */
final class SourceTables {

  private static final String BY_NAME =
      "SELECT t.name, c.oid::bigint FROM unnest(?::text[]) AS t(name)"
          + " JOIN pg_class c ON c.oid = to_regclass(t.name)";

  private static final String DESCRIBE =
      "SELECT c.oid::bigint, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.oid = ANY (?::bigint[]::oid[])";

  // Rows live in the leaves: each leaf (a plain table is its own leaf) needs a replica identity.
  private static final String LEAVES =
      "SELECT t.root, quote_ident(n.nspname) || '.' || quote_ident(r.relname), r.relreplident,"
          + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = r.oid AND i.indisvalid"
          + "   AND CASE r.relreplident WHEN 'd' THEN i.indisprimary"
          + "            WHEN 'i' THEN i.indisreplident ELSE false END)"
          + " FROM unnest(?::bigint[]) AS t(root)"
          // pg_partition_tree lists nothing for a table that is not part of a partition tree.
          + " CROSS JOIN LATERAL (SELECT p.relid FROM pg_partition_tree(t.root::oid::regclass) p"
          + "   WHERE p.isleaf UNION SELECT t.root::oid) l"
          + " JOIN pg_class r ON r.oid = l.relid JOIN pg_namespace n ON n.oid = r.relnamespace"
          + " WHERE r.relkind = 'r'";

  private SourceTables() {}

  /**
   * The OIDs of the tables named, as PostgreSQL resolves the names now.
   *
   * @param c a connection
   * @param names {@code schema.table} names (unquoted identifiers, folded to lower case)
   * @return name to OID, for the names that exist
   * @throws SQLException on a database error
   */
  static Map<String, Long> oids(Connection c, List<String> names) throws SQLException {
    Map<String, Long> out = new HashMap<>();
    if (names.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement(BY_NAME)) {
      ps.setArray(1, c.createArrayOf("text", names.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    return out;
  }

  /**
   * Describes tables by OID.
   *
   * @param c a connection
   * @param oids table OIDs
   * @return OID to table, for the OIDs that exist
   * @throws SQLException on a database error
   */
  static Map<Long, SourceTable> describe(Connection c, Collection<Long> oids) throws SQLException {
    Map<Long, String> names = new LinkedHashMap<>();
    Map<Long, Character> kinds = new HashMap<>();
    Map<Long, List<String>> problems = new HashMap<>();
    if (oids.isEmpty()) {
      return Map.of();
    }
    Array array = c.createArrayOf("int8", oids.toArray());
    try (PreparedStatement ps = c.prepareStatement(DESCRIBE)) {
      ps.setArray(1, array);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long oid = rs.getLong(1);
          names.put(oid, rs.getString(2));
          kinds.put(oid, rs.getString(3).charAt(0));
          problems.put(oid, new ArrayList<>());
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(LEAVES)) {
      ps.setArray(1, array);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long root = rs.getLong(1);
          String name = names.get(root);
          String problem =
              ReplicaIdentity.problem(
                  name, rs.getString(2), rs.getString(3).charAt(0), rs.getBoolean(4));
          if (name != null && problem != null) {
            problems.get(root).add(problem);
          }
        }
      }
    }
    Map<Long, SourceTable> out = new LinkedHashMap<>();
    names.forEach(
        (oid, name) -> {
          char kind = kinds.get(oid);
          List<String> p = problems.get(oid);
          if (kind != 'r' && kind != 'p') {
            p.add(
                name
                    + " is not a table (pg_class.relkind '"
                    + kind
                    + "'): only tables can be published");
          }
          out.put(oid, new SourceTable(oid, name, kind == 'p', p));
        });
    return out;
  }
}
