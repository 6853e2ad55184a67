package io.pgtrickle.worker.dvm.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds every function a view's query calls, from its stored query tree ({@code
 * pg_rewrite.ev_action}): functions, operators' functions, aggregates and window functions by oid,
 * the input and output functions of casts through text ({@code CoerceViaIO}), and the SQL-standard
 * value functions ({@code CURRENT_DATE} ...). pg_depend cannot tell: it records no dependency on
 * built-in (pinned) functions such as {@code now()}.
 */
final class MutabilityScan {

  private static final Pattern FUNCTION =
      Pattern.compile(":(?:funcid|opfuncid|aggfnoid|winfnoid) (\\d+)");
  private static final Pattern COERCE_VIA_IO =
      Pattern.compile(
          "\\{COERCEVIAIO :arg \\{[A-Z]+ [^{}]*?:(?:vartype|consttype|funcresulttype|opresulttype"
              + "|aggtype|casetype|coalescetype|minmaxtype|paramtype) (\\d+)[^{}]*?(?:\\{[^{}]*\\}[^{}]*?)*"
              + "\\}[^{}]*?:resulttype (\\d+)");

  private MutabilityScan() {}

  /** The functions called by the query of temporary view {@code view}. */
  static List<NormalizedQuery.FunctionRef> of(Connection conn, String view) throws SQLException {
    String tree;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT ev_action::text FROM pg_catalog.pg_rewrite"
                + " WHERE ev_class = ('pg_temp.' || ?)::pg_catalog.regclass")) {
      ps.setString(1, view);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        tree = rs.getString(1);
      }
    }
    List<NormalizedQuery.FunctionRef> out = new ArrayList<>();
    if (tree.contains("{SQLVALUEFUNCTION")) {
      out.add(
          new NormalizedQuery.FunctionRef(
              "pg_catalog", "CURRENT_DATE/CURRENT_TIMESTAMP", 'f', 's'));
    }
    if (tree.contains("{NEXTVALUEEXPR")) {
      out.add(new NormalizedQuery.FunctionRef("pg_catalog", "nextval", 'f', 'v'));
    }
    Set<Long> functions = new LinkedHashSet<>();
    Matcher m = FUNCTION.matcher(tree);
    while (m.find()) {
      functions.add(Long.parseLong(m.group(1)));
    }
    Set<Long> outputTypes = new LinkedHashSet<>();
    Set<Long> inputTypes = new LinkedHashSet<>();
    Matcher c = COERCE_VIA_IO.matcher(tree);
    while (c.find()) {
      outputTypes.add(Long.parseLong(c.group(1)));
      inputTypes.add(Long.parseLong(c.group(2)));
    }
    String sql =
        "SELECT n.nspname, p.proname, p.prokind, p.provolatile FROM pg_catalog.pg_proc p"
            + " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            + " WHERE p.oid = ANY (?::pg_catalog.oid[])"
            + "  OR p.oid IN (SELECT t.typoutput FROM pg_catalog.pg_type t WHERE t.oid = ANY (?::pg_catalog.oid[]))"
            + "  OR p.oid IN (SELECT t.typinput FROM pg_catalog.pg_type t WHERE t.oid = ANY (?::pg_catalog.oid[]))";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setArray(1, conn.createArrayOf("bigint", functions.toArray()));
      ps.setArray(2, conn.createArrayOf("bigint", outputTypes.toArray()));
      ps.setArray(3, conn.createArrayOf("bigint", inputTypes.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new NormalizedQuery.FunctionRef(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3).charAt(0),
                  rs.getString(4).charAt(0)));
        }
      }
    }
    return out;
  }
}
