package io.pgtrickle.worker.dvm.catalog;

import io.pgtrickle.worker.dvm.catalog.NodeTree.Node;
import io.pgtrickle.worker.dvm.parse.Blocker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a view's stored query tree ({@code pg_rewrite.ev_action}) for two things:
 *
 * <ul>
 *   <li>every function the query calls: functions, operators' functions, aggregates and window
 *       functions by oid, the output and input functions of casts through text ({@code
 *       CoerceViaIO}), the SQL value functions ({@code CURRENT_DATE} ...) and {@code nextval}.
 *       pg_depend cannot tell: it records nothing for built-in (pinned) functions such as {@code
 *       now()};
 *   <li>the constructs that prevent differential maintenance, by the same rules and names as the
 *       front door's {@code pgtrickle._differential_blockers} (which reads the same tree), so the
 *       engine and {@code create_stream_table} agree.
 * </ul>
 */
final class QueryTreeScan {

  private static final String[] SUBLINK_KINDS = {
    "EXISTS subquery", "ALL subquery", "IN subquery", "row comparison subquery",
    "scalar subquery", "multiple-assignment subquery", "ARRAY subquery", "CTE subquery"
  };

  private final Connection conn;
  private final Object tree;
  private final List<Blocker> blockers = new ArrayList<>();
  private final Set<Long> functions = new LinkedHashSet<>();
  private final Set<Long> outputTypes = new LinkedHashSet<>();
  private final Set<Long> inputTypes = new LinkedHashSet<>();
  private final List<NormalizedQuery.FunctionRef> specials = new ArrayList<>();
  private final Map<Long, String> operatorNames = new HashMap<>();

  private QueryTreeScan(Connection conn, Object tree) {
    this.conn = conn;
    this.tree = tree;
  }

  /** What the query of temporary view {@code view} calls, and what it uses that blocks. */
  static QueryTreeScan of(Connection conn, String view) throws SQLException {
    String text;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT ev_action::text FROM pg_catalog.pg_rewrite"
                + " WHERE ev_class = ('pg_temp.' || ?)::pg_catalog.regclass")) {
      ps.setString(1, view);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        text = rs.getString(1);
      }
    }
    QueryTreeScan scan = new QueryTreeScan(conn, NodeTree.parse(text));
    scan.run();
    return scan;
  }

  List<Blocker> blockers() {
    return blockers;
  }

  /** The functions called, with their volatility and kind. */
  List<NormalizedQuery.FunctionRef> functions() throws SQLException {
    List<NormalizedQuery.FunctionRef> out = new ArrayList<>(specials);
    String sql =
        "SELECT n.nspname, p.proname, p.prokind, p.provolatile FROM pg_catalog.pg_proc p"
            + " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            + " WHERE p.oid = ANY (?::pg_catalog.oid[])"
            + "  OR p.oid IN (SELECT t.typoutput FROM pg_catalog.pg_type t"
            + "   WHERE t.oid = ANY (?::pg_catalog.oid[]))"
            + "  OR p.oid IN (SELECT t.typinput FROM pg_catalog.pg_type t"
            + "   WHERE t.oid = ANY (?::pg_catalog.oid[]))";
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

  private void run() throws SQLException {
    List<Node> all = NodeTree.nodes(tree);
    Set<Long> opnos = new HashSet<>();
    for (Node n : all) {
      switch (n.type()) {
        case "FUNCEXPR" -> functions.add(Long.parseLong(n.text("funcid")));
        case "OPEXPR", "DISTINCTEXPR", "NULLIFEXPR", "SCALARARRAYOPEXPR" -> {
          functions.add(Long.parseLong(n.text("opfuncid")));
          opnos.add(Long.parseLong(n.text("opno")));
        }
        case "WINDOWFUNC" -> functions.add(Long.parseLong(n.text("winfnoid")));
        case "SQLVALUEFUNCTION" ->
            specials.add(
                new NormalizedQuery.FunctionRef(
                    "pg_catalog", "CURRENT_DATE/CURRENT_TIMESTAMP", 'f', 's'));
        case "NEXTVALUEEXPR" ->
            specials.add(new NormalizedQuery.FunctionRef("pg_catalog", "nextval", 'f', 'v'));
        case "COERCEVIAIO" -> {
          Long from = exprType(n.fields().get("arg"));
          if (from != null) {
            outputTypes.add(from);
          }
          inputTypes.add(Long.parseLong(n.text("resulttype")));
        }
        default -> {}
      }
    }
    loadOperatorNames(opnos);
    Map<Long, String> aggregateNames = new HashMap<>();
    for (Node n : all) {
      if (n.type().equals("AGGREF")) {
        aggregateNames.put(Long.parseLong(n.text("aggfnoid")), null);
      }
    }
    loadAggregateNames(aggregateNames);
    for (Node n : all) {
      switch (n.type()) {
        case "QUERY" -> query(n);
        case "SETOPERATIONSTMT" -> {
          boolean isAll = "true".equals(n.text("all"));
          int op = Integer.parseInt(n.text("op"));
          if (!(op == 1 && isAll)) {
            String name = new String[] {"", "UNION", "INTERSECT", "EXCEPT"}[op];
            blockers.add(Blocker.of(name + (isAll ? " ALL" : "")));
          }
        }
        case "RANGETBLENTRY" -> {
          switch (n.text("rtekind")) {
            case "3" -> blockers.add(Blocker.of("set-returning function"));
            case "4" -> blockers.add(Blocker.of("XMLTABLE or JSON_TABLE"));
            case "5" -> blockers.add(Blocker.of("VALUES list"));
            default -> {}
          }
          if ("true".equals(n.text("lateral"))) {
            blockers.add(Blocker.of("LATERAL"));
          }
        }
        case "SUBLINK" -> {
          boolean correlated =
              NodeTree.nodes(n.fields().get("subselect")).stream()
                  .anyMatch(
                      x ->
                          (x.type().equals("VAR") && Integer.parseInt(x.text("varlevelsup")) >= 1)
                              || (x.type().equals("AGGREF")
                                  && Integer.parseInt(x.text("agglevelsup")) >= 1));
          blockers.add(
              Blocker.of(
                  correlated
                      ? "correlated subquery"
                      : SUBLINK_KINDS[Integer.parseInt(n.text("subLinkType"))]));
        }
        case "JOINEXPR" -> join(n);
        case "AGGREF" -> {
          if (!"n".equals(n.text("aggkind"))) {
            blockers.add(Blocker.of("ordered-set aggregate"));
          } else if (n.fields().get("aggdistinct") != null) {
            blockers.add(Blocker.of("DISTINCT aggregate"));
          } else if (n.fields().get("aggorder") != null) {
            blockers.add(Blocker.of("ORDER BY in aggregate"));
          } else {
            String name = aggregateNames.get(Long.parseLong(n.text("aggfnoid")));
            if (name != null) {
              blockers.add(Blocker.of("aggregate " + name));
            }
          }
        }
        default -> {}
      }
    }
  }

  /** Query-level flags, the comma-joined FROM items' connection and the number of items. */
  private void query(Node q) {
    if ("true".equals(q.text("hasRecursive"))) {
      blockers.add(Blocker.of("recursive CTE"));
    } else if (q.fields().get("cteList") != null) {
      blockers.add(Blocker.of("WITH query (CTE)"));
    }
    if ("true".equals(q.text("hasWindowFuncs"))) {
      blockers.add(Blocker.of("window function"));
    }
    if (q.fields().get("limitCount") != null) {
      blockers.add(Blocker.of("LIMIT"));
    }
    if (q.fields().get("limitOffset") != null) {
      blockers.add(Blocker.of("OFFSET"));
    }
    if ("true".equals(q.text("hasDistinctOn"))) {
      blockers.add(Blocker.of("DISTINCT ON"));
    }
    if (q.fields().get("groupingSets") != null) {
      blockers.add(Blocker.of("GROUPING SETS"));
    }
    if ("true".equals(q.text("hasTargetSRFs"))) {
      blockers.add(Blocker.of("set-returning function"));
    }
    Node jointree = q.node("jointree");
    if (jointree == null) {
      return;
    }
    List<Object> items = jointree.list("fromlist");
    if (items.size() > 1) {
      int[] comp = new int[items.size()];
      for (int k = 0; k < comp.length; k++) {
        comp[k] = k;
      }
      for (int[] pair : equiPairs(jointree.fields().get("quals"))) {
        int a = -1;
        int b = -1;
        for (int k = 0; k < items.size(); k++) {
          Set<Integer> rt = rtIndexes(items.get(k));
          if (rt.contains(pair[0])) {
            a = k;
          }
          if (rt.contains(pair[1])) {
            b = k;
          }
        }
        if (a >= 0 && b >= 0 && comp[a] != comp[b]) {
          int from = comp[b];
          for (int k = 0; k < comp.length; k++) {
            if (comp[k] == from) {
              comp[k] = comp[a];
            }
          }
        }
      }
      if (java.util.Arrays.stream(comp).distinct().count() > 1) {
        blockers.add(Blocker.of("cross join"));
      }
    }
    long tables =
        NodeTree.nodes(jointree).stream().filter(n -> n.type().equals("RANGETBLREF")).count();
    if (tables > 4) {
      blockers.add(Blocker.of("join of more than 4 tables"));
    }
  }

  private void join(Node j) {
    switch (j.text("jointype")) {
      case "2" -> blockers.add(Blocker.of("FULL JOIN"));
      case "3" -> blockers.add(Blocker.of("RIGHT JOIN"));
      case "0", "1" -> {
        Object quals = j.fields().get("quals");
        if (quals == null) {
          blockers.add(Blocker.of("cross join"));
          return;
        }
        Set<Integer> left = rtIndexes(j.fields().get("larg"));
        Set<Integer> right = rtIndexes(j.fields().get("rarg"));
        boolean equi = false;
        for (int[] p : equiPairs(quals)) {
          equi |=
              (left.contains(p[0]) && right.contains(p[1]))
                  || (left.contains(p[1]) && right.contains(p[0]));
        }
        if (!equi) {
          blockers.add(Blocker.of("non-equi join"));
        }
      }
      default -> {}
    }
  }

  /** Range-table indexes under a join-tree item. */
  private static Set<Integer> rtIndexes(Object item) {
    Set<Integer> out = new HashSet<>();
    for (Node n : NodeTree.nodes(item)) {
      if ((n.type().equals("RANGETBLREF") || n.type().equals("JOINEXPR"))
          && n.text("rtindex") != null) {
        out.add(Integer.parseInt(n.text("rtindex")));
      }
    }
    return out;
  }

  /** {@code a = b} conjuncts between columns of two different range-table entries. */
  private List<int[]> equiPairs(Object quals) {
    List<int[]> out = new ArrayList<>();
    for (Node c : conjuncts(quals)) {
      if (!c.type().equals("OPEXPR")
          || !"=".equals(operatorNames.get(Long.parseLong(c.text("opno"))))) {
        continue;
      }
      List<Object> args = c.list("args");
      if (args.size() != 2) {
        continue;
      }
      Node a = unwrapRelabel(args.get(0));
      Node b = unwrapRelabel(args.get(1));
      if (a != null
          && b != null
          && a.type().equals("VAR")
          && b.type().equals("VAR")
          && "0".equals(a.text("varlevelsup"))
          && "0".equals(b.text("varlevelsup"))
          && !a.text("varno").equals(b.text("varno"))) {
        out.add(new int[] {Integer.parseInt(a.text("varno")), Integer.parseInt(b.text("varno"))});
      }
    }
    return out;
  }

  private static Node unwrapRelabel(Object o) {
    if (o instanceof Node n && n.type().equals("RELABELTYPE")) {
      return n.node("arg");
    }
    return o instanceof Node n ? n : null;
  }

  private static List<Node> conjuncts(Object quals) {
    List<Node> out = new ArrayList<>();
    if (quals instanceof List<?> l) {
      l.forEach(x -> out.addAll(conjuncts(x)));
    } else if (quals instanceof Node n) {
      if (n.type().equals("BOOLEXPR") && "and".equals(n.text("boolop"))) {
        n.list("args").forEach(x -> out.addAll(conjuncts(x)));
      } else {
        out.add(n);
      }
    }
    return out;
  }

  /** The result type of common expression nodes, or null. */
  private static Long exprType(Object o) {
    if (!(o instanceof Node n)) {
      return null;
    }
    String field =
        switch (n.type()) {
          case "VAR" -> "vartype";
          case "CONST" -> "consttype";
          case "PARAM" -> "paramtype";
          case "FUNCEXPR" -> "funcresulttype";
          case "OPEXPR" -> "opresulttype";
          case "AGGREF" -> "aggtype";
          case "CASEEXPR" -> "casetype";
          case "COALESCEEXPR" -> "coalescetype";
          case "MINMAXEXPR" -> "minmaxtype";
          case "RELABELTYPE", "COERCEVIAIO", "COERCETODOMAIN", "ARRAYCOERCEEXPR" -> "resulttype";
          default -> null;
        };
    String v = field == null ? null : n.text(field);
    return v == null ? null : Long.parseLong(v);
  }

  private void loadOperatorNames(Set<Long> opnos) throws SQLException {
    if (opnos.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT oid::bigint, oprname::text FROM pg_catalog.pg_operator"
                + " WHERE oid = ANY (?::pg_catalog.oid[])")) {
      ps.setArray(1, conn.createArrayOf("bigint", opnos.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          operatorNames.put(rs.getLong(1), rs.getString(2));
        }
      }
    }
  }

  /** Names the aggregates the engine does not maintain (the others stay null). */
  private void loadAggregateNames(Map<Long, String> aggregates) throws SQLException {
    if (aggregates.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT p.oid::bigint, CASE WHEN p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace"
                + " AND p.proname IN ('count', 'sum', 'avg', 'min', 'max') THEN NULL"
                + " WHEN p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace THEN p.proname::text"
                + " ELSE p.oid::pg_catalog.regproc::text END FROM pg_catalog.pg_proc p"
                + " WHERE p.oid = ANY (?::pg_catalog.oid[])")) {
      ps.setArray(1, conn.createArrayOf("bigint", aggregates.keySet().toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          aggregates.put(rs.getLong(1), rs.getString(2));
        }
      }
    }
  }
}
