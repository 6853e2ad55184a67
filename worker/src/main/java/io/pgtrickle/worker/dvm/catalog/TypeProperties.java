package io.pgtrickle.worker.dvm.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Reads a type's operator classes from the catalog (as PostgreSQL's GetDefaultOpClass). */
final class TypeProperties {

  /**
   * Candidate input types of a default operator class for the type, in PostgreSQL's order: the type
   * itself (a domain's base type), types it is binary-coercible to, and the polymorphic classes for
   * arrays, enums, ranges, multiranges and composites.
   */
  private static final String QUERY =
      "WITH RECURSIVE p AS (SELECT ?::pg_catalog.oid AS toid, ?::int AS tmod,"
          + "   ?::pg_catalog.oid AS tcoll),"
          + " base AS ("
          + "  SELECT t.oid, t.typbasetype, t.typtype, t.typcategory, 0 AS depth"
          + "  FROM pg_catalog.pg_type t, p WHERE t.oid = p.toid"
          + "  UNION ALL SELECT t.oid, t.typbasetype, t.typtype, t.typcategory, b.depth + 1"
          + "  FROM base b JOIN pg_catalog.pg_type t ON t.oid = b.typbasetype"
          + "  WHERE b.typbasetype <> 0),"
          + " b AS (SELECT * FROM base ORDER BY depth DESC LIMIT 1),"
          + " cand AS ("
          + "  SELECT b.oid AS t, 0 AS prio FROM b"
          + "  UNION ALL SELECT c.casttarget, 1 FROM b JOIN pg_catalog.pg_cast c"
          + "    ON c.castsource = b.oid AND c.castmethod = 'b'"
          + "  UNION ALL SELECT 'pg_catalog.anyarray'::pg_catalog.regtype, 2 FROM b"
          + "    WHERE b.typcategory = 'A'"
          + "  UNION ALL SELECT 'pg_catalog.anyenum'::pg_catalog.regtype, 2 FROM b WHERE b.typtype = 'e'"
          + "  UNION ALL SELECT 'pg_catalog.anyrange'::pg_catalog.regtype, 2 FROM b"
          + "    WHERE b.typtype = 'r'"
          + "  UNION ALL SELECT 'pg_catalog.anymultirange'::pg_catalog.regtype, 2 FROM b"
          + "    WHERE b.typtype = 'm'"
          + "  UNION ALL SELECT 'pg_catalog.record'::pg_catalog.regtype, 2 FROM b"
          + "    WHERE b.typtype = 'c'),"
          + " opc AS (SELECT oc.opcfamily, oc.opcintype, am.amname, cand.prio FROM cand"
          + "  JOIN pg_catalog.pg_opclass oc ON oc.opcintype = cand.t AND oc.opcdefault"
          + "  JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod)"
          + " SELECT pg_catalog.format_type(p.toid, p.tmod), (SELECT b.oid FROM b),"
          + "  (SELECT ap.amproc::pg_catalog.text FROM opc"
          + "    LEFT JOIN pg_catalog.pg_amproc ap ON ap.amprocfamily = opc.opcfamily"
          + "     AND ap.amprocnum = 4 AND ap.amproclefttype = opc.opcintype"
          + "     AND ap.amprocrighttype = opc.opcintype"
          + "    WHERE opc.amname = 'btree' ORDER BY opc.prio LIMIT 1),"
          + "  EXISTS (SELECT 1 FROM opc WHERE opc.amname = 'btree'),"
          + "  EXISTS (SELECT 1 FROM opc WHERE opc.amname = 'hash'),"
          + "  COALESCE((SELECT c.collisdeterministic FROM pg_catalog.pg_collation c"
          + "    WHERE c.oid = p.tcoll), true),"
          + "  (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.collname)"
          + "    FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace"
          + "    JOIN pg_catalog.pg_type t ON t.oid = p.toid"
          + "    WHERE c.oid = p.tcoll AND c.oid <> t.typcollation),"
          // json, jsonb, json[], jsonb[] or a domain over one of them.
          + "  (SELECT b.oid IN (114, 3802, 199, 3807) FROM b)"
          + " FROM p";

  private TypeProperties() {}

  static TypeRef load(Connection conn, long oid, int typmod, long collation) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(QUERY)) {
      ps.setLong(1, oid);
      ps.setInt(2, typmod);
      ps.setLong(3, collation);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        String name = rs.getString(1);
        long base = rs.getLong(2);
        String equalImage = rs.getString(3);
        boolean orderable = rs.getBoolean(4);
        boolean hashable = rs.getBoolean(5);
        boolean deterministic = rs.getBoolean(6);
        String collationSql = rs.getString(7);
        boolean jsonValued = rs.getBoolean(8);
        boolean exact =
            "btequalimage".equals(equalImage)
                || ("btvarstrequalimage".equals(equalImage) && deterministic);
        return new TypeRef(
            oid,
            typmod,
            collation,
            name,
            CatalogReader.family(base),
            exact,
            orderable,
            hashable,
            collationSql,
            jsonValued);
      }
    }
  }
}
