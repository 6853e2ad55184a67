package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.plan.Block;
import io.pgtrickle.worker.dvm.plan.FromNode;
import io.pgtrickle.worker.dvm.plan.FromNode.InnerJoin;
import io.pgtrickle.worker.dvm.plan.FromNode.LeftJoin;
import io.pgtrickle.worker.dvm.plan.FromNode.Subquery;
import io.pgtrickle.worker.dvm.plan.FromNode.Table;
import io.pgtrickle.worker.dvm.plan.Identity;
import io.pgtrickle.worker.dvm.plan.QueryNode;
import io.pgtrickle.worker.dvm.plan.UnionAll;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Derives the delta of a query node from the deltas of its sources (counting algorithm, Z-sets:
 * every row carries a signed weight). Rules, with X' = X + dX the new state:
 *
 * <ul>
 *   <li>filter, projection: applied to each delta row (old images with old values, so a row whose
 *       condition flips leaves or enters);
 *   <li>inner join of parts P1..Pn: d(P1..Pn) = sum over non-empty subsets S of the changed parts
 *       of (-1)^(|S|+1) * join(i in S ? dPi : Pi'), so a pair whose both sides changed counts once;
 *   <li>left join L ⟕ R on c: the inner-join delta, plus NULL-padded rows: dL rows without a match
 *       in R', and rows of L (old state = L' - dL) whose number of matches changed between zero and
 *       non-zero, weighted (matches' = 0) - (matches = 0), where matches = matches' - (sum of the
 *       weights of dR's matches), computed once per such row by a LATERAL subquery that is not
 *       pulled up;
 *   <li>subquery: its own delta; an aggregate subquery's delta is its affected groups recomputed on
 *       the new state (+1) and on the old state (-1), see {@link GroupDeltaSql};
 *   <li>UNION ALL: the sum of the branches' deltas.
 * </ul>
 *
 * <p>A source's delta dX is a Z-set, so it may be netted (equal rows' weights added, zero weights
 * dropped) without changing any rule's result; {@link #nettedSources} says where that is done.
 */
public final class DeltaBuilder {

  private final Set<Integer> changed;
  private final boolean identity;
  private int lateralCount;
  private int groupCount;

  /**
   * @param changed source indexes with changes in the window (the others contribute nothing)
   * @param identity whether rows carry identity columns ({@code __pgt_i1..})
   */
  public DeltaBuilder(Set<Integer> changed, boolean identity) {
    this.changed = changed;
    this.identity = identity;
  }

  public boolean identity() {
    return identity;
  }

  /** True if some source of {@code sources} changed. */
  public boolean changed(Set<Integer> sources) {
    return sources.stream().anyMatch(changed::contains);
  }

  /**
   * {@code SELECT outputs, [identity], [marker], weight AS __pgt_w ...} of the node's delta, or
   * null if none of its sources changed.
   */
  public String deltaQuery(QueryNode node, boolean marker) {
    if (!changed(node.sourceIndexes())) {
      return null;
    }
    if (node instanceof UnionAll u) {
      return unionDelta(u, marker);
    }
    Block b = (Block) node;
    if (b.aggregated()) {
      return new GroupDeltaSql(this, b, ++groupCount).query(marker);
    }
    List<String> arms = new ArrayList<>();
    for (Term t : terms(b.from())) {
      arms.add(projection(b, t, marker));
    }
    return String.join(" UNION ALL ", arms);
  }

  /**
   * The alias whose change positions the projection carries ({@code __pgt_lsn}, {@code __pgt_seq}),
   * or null.
   */
  private String chainAlias;

  /**
   * Makes {@link #deltaQuery} of a root block carry the change position of {@code alias}'s rows
   * (see {@link BagApplySql}: a delta that is one chain of changes per identity).
   */
  public DeltaBuilder withChainPositions(String alias) {
    this.chainAlias = alias;
    return this;
  }

  /** One delta term of an SPJ block, projected: outputs, identity, marker, weight. */
  String projection(Block b, Term t, boolean marker) {
    List<String> select = new ArrayList<>();
    for (Block.Output o : b.outputs()) {
      select.add(o.expr().sql() + " AS " + Sql.ident(o.name()));
    }
    if (identity) {
      List<String> ids = Identity.exprs(b);
      for (int i = 0; i < ids.size(); i++) {
        select.add(ids.get(i) + " AS " + Identity.column(i + 1));
      }
    }
    if (marker) {
      select.add("1 AS " + Identity.MARKER);
    }
    select.add(t.weight() + " AS __pgt_w");
    if (chainAlias != null) {
      select.add(Sql.column(chainAlias, "__pgt_lsn") + " AS __pgt_lsn");
      select.add(Sql.column(chainAlias, "__pgt_seq") + " AS __pgt_seq");
    }
    return "SELECT " + String.join(", ", select) + t.fromWhere(where(b));
  }

  static List<String> where(Block b) {
    return b.where() == null ? List.of() : List.of(b.where().sql());
  }

  private String unionDelta(UnionAll u, boolean marker) {
    List<List<TypeRef>> slots = new ArrayList<>();
    if (identity) {
      u.branches().forEach(b -> slots.add(Identity.types(b).orElseThrow()));
    }
    List<String> arms = new ArrayList<>();
    for (int bi = 0; bi < u.branches().size(); bi++) {
      QueryNode branch = u.branches().get(bi);
      String delta = deltaQuery(branch, false);
      if (delta == null) {
        continue;
      }
      List<String> select = new ArrayList<>();
      List<ColumnInfo> bc = branch.columns();
      for (int c = 0; c < bc.size(); c++) {
        select.add(
            Sql.column("__pgt_b", bc.get(c).name())
                + " AS "
                + Sql.ident(u.columns().get(c).name()));
      }
      if (identity) {
        select.addAll(NewStateSql.unionIdentity(slots, bi, "__pgt_b"));
      }
      if (marker) {
        select.add("1 AS " + Identity.MARKER);
      }
      select.add("__pgt_b.__pgt_w");
      arms.add("SELECT " + String.join(", ", select) + " FROM (" + delta + ") AS __pgt_b");
    }
    return String.join(" UNION ALL ", arms);
  }

  /**
   * The changed sources whose windows are netted ({@link SourceDeltaSql#cte(int,
   * io.pgtrickle.worker.dvm.catalog.RelationInfo, String, List, boolean)}): those read under a LEFT
   * JOIN, or under an inner join with another changed part. There a delta term is scanned once per
   * row of the other side (the LEFT JOIN's NOT EXISTS and match counts) or multiplied by another
   * delta (a pair of changed parts), so an un-netted window of k changes to a few rows costs O(k^2)
   * to O(k^3) rows and subplan runs: a 3-table LEFT JOIN chain over tables of 12, 16 and 188 rows
   * took 24 s for 1,000 changes (worker/MEASUREMENTS.md, 2026-12-07). Elsewhere (a filter, an
   * aggregate, a changed table joined only with unchanged ones) each image is read once and the
   * apply consolidates anyway, so the window stays un-netted. Netting only adds equal images'
   * weights, which the Z-set algebra does wherever rows meet, so the result is the same; it drops
   * the change positions, so it is never used for a delta that carries them (a single changed
   * table's chain, {@link #withChainPositions}), which by construction reads no LEFT JOIN and no
   * second changed part.
   */
  public static Set<Integer> nettedSources(QueryNode root, Set<Integer> changed) {
    Set<Integer> out = new java.util.TreeSet<>();
    netted(root, changed, false, out);
    return out;
  }

  private static void netted(QueryNode q, Set<Integer> changed, boolean net, Set<Integer> out) {
    if (q instanceof UnionAll u) {
      u.branches().forEach(b -> netted(b, changed, net, out));
    } else {
      netted(((Block) q).from(), changed, net, out);
    }
  }

  private static void netted(FromNode f, Set<Integer> changed, boolean net, Set<Integer> out) {
    if (f instanceof Table t) {
      if (net && changed.contains(t.sourceIndex())) {
        out.add(t.sourceIndex());
      }
    } else if (f instanceof Subquery s) {
      netted(s.query(), changed, net, out);
    } else if (f instanceof InnerJoin j) {
      long changedParts =
          j.parts().stream()
              .filter(p -> p.sourceIndexes().stream().anyMatch(changed::contains))
              .count();
      j.parts().forEach(p -> netted(p, changed, net || changedParts > 1, out));
    } else {
      LeftJoin l = (LeftJoin) f;
      netted(l.left(), changed, true, out);
      netted(l.right(), changed, true, out);
    }
  }

  /** The delta terms of a FROM tree (empty if nothing in it changed). */
  public List<Term> terms(FromNode f) {
    if (!changed(f.sourceIndexes())) {
      return List.of();
    }
    if (f instanceof Table t) {
      return List.of(
          new Term(
              List.of(
                  SourceDeltaSql.name(t.sourceIndex())
                      + " AS "
                      + Sql.ident(t.alias())
                      + NewStateSql.columnAliases(t)),
              List.of(),
              List.of(Sql.column(t.alias(), "__pgt_w")),
              1));
    }
    if (f instanceof Subquery s) {
      return List.of(
          new Term(
              List.of(
                  "("
                      + deltaQuery(s.query(), identity && s.nullable())
                      + ") AS "
                      + Sql.ident(s.alias())),
              List.of(),
              List.of(Sql.column(s.alias(), "__pgt_w")),
              1));
    }
    if (f instanceof InnerJoin j) {
      return innerJoin(j.parts(), j.conditions().stream().map(e -> e.sql()).toList());
    }
    return leftJoin((LeftJoin) f);
  }

  private List<Term> innerJoin(List<FromNode> parts, List<String> conditions) {
    List<Integer> changedParts = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      if (changed(parts.get(i).sourceIndexes())) {
        changedParts.add(i);
      }
    }
    List<Term> out = new ArrayList<>();
    for (int mask = 1; mask < (1 << changedParts.size()); mask++) {
      List<Term> combos =
          List.of(
              new Term(List.of(), List.of(), List.of(), Integer.bitCount(mask) % 2 == 1 ? 1 : -1));
      for (int i = 0; i < parts.size(); i++) {
        int pos = changedParts.indexOf(i);
        boolean inSubset = pos >= 0 && (mask & (1 << pos)) != 0;
        List<Term> next = new ArrayList<>();
        for (Term c : combos) {
          if (inSubset) {
            for (Term pt : terms(parts.get(i))) {
              next.add(c.times(pt));
            }
          } else {
            next.add(c.with(List.of(newItem(parts.get(i))), List.of(), List.of()));
          }
        }
        combos = next;
      }
      for (Term c : combos) {
        out.add(c.with(List.of(), conditions, List.of()));
      }
    }
    return out;
  }

  private List<Term> leftJoin(LeftJoin l) {
    String cond = l.condition().sql();
    List<Term> out = new ArrayList<>(innerJoin(List.of(l.left(), l.right()), List.of(cond)));
    List<String> nulls = nullItems(l.right());
    if (changed(l.left().sourceIndexes())) {
      String noMatch = "NOT EXISTS (SELECT 1 FROM " + newItem(l.right()) + " WHERE " + cond + ")";
      for (Term t : terms(l.left())) {
        out.add(t.with(nulls, List.of(noMatch), List.of()));
      }
    }
    if (changed(l.right().sourceIndexes())) {
      List<Term> rightTerms = terms(l.right());
      List<String> matchArms = new ArrayList<>();
      List<String> weightArms = new ArrayList<>();
      for (Term rt : rightTerms) {
        matchArms.add("EXISTS (SELECT 1" + rt.fromWhere(List.of(cond)) + ")");
        weightArms.add("SELECT " + rt.weight() + " AS w" + rt.fromWhere(List.of(cond)));
      }
      // f = (matches' = 0) - (matches = 0), with matches = matches' - d, once per left row: both
      // subqueries end in OFFSET 0, so PostgreSQL neither pulls them up (it then evaluated f as a
      // filter on the inner side of a nested loop, once per pair of left delta rows, e.g. 3,600
      // times for 60 x 60 images) nor copies n into both CASEs (two match counts per row). With
      // the fence, 90 changes to distinct rows of a 3-table chain (4,000/8,000/16,000 rows) took
      // 0.35 s instead of 8.5 s (worker/MEASUREMENTS.md, 2026-12-07).
      String lateral = "__pgt_lj" + (++lateralCount);
      String factor =
          "LATERAL (SELECT (CASE WHEN __pgt_c.n = 0 THEN 1 ELSE 0 END)"
              + " - (CASE WHEN __pgt_c.n - __pgt_c.d = 0 THEN 1 ELSE 0 END) AS f"
              + " FROM (SELECT (SELECT count(*) FROM "
              + newItem(l.right())
              + " WHERE "
              + cond
              + ") AS n, (SELECT coalesce(sum(x.w), 0) FROM ("
              + String.join(" UNION ALL ", weightArms)
              + ") AS x) AS d OFFSET 0) AS __pgt_c OFFSET 0) AS "
              + lateral;
      List<String> extraItems = new ArrayList<>(nulls);
      extraItems.add(factor);
      List<String> preds =
          List.of(
              matchArms.size() == 1 ? matchArms.get(0) : "(" + String.join(" OR ", matchArms) + ")",
              lateral + ".f <> 0");
      List<String> weight = List.of(lateral + ".f");
      out.add(
          new Term(List.of(newItem(l.left())), List.of(), List.of(), 1)
              .with(extraItems, preds, weight));
      for (Term t : terms(l.left())) {
        out.add(t.negated().with(extraItems, preds, weight));
      }
    }
    return out;
  }

  /** A FROM item over the current tables. */
  public String newItem(FromNode f) {
    return NewStateSql.fromItem(f, identity);
  }

  /** One-row items binding every alias of {@code f} to NULLs (NULL-padded join rows). */
  public List<String> nullItems(FromNode f) {
    List<String> out = new ArrayList<>();
    for (FromNode item : Identity.items(f)) {
      List<String> cols = new ArrayList<>();
      if (item instanceof Table t) {
        for (int i = 0; i < t.columnNames().size(); i++) {
          cols.add(
              "NULL::"
                  + t.relation().columns().get(i).type().sqlName()
                  + " AS "
                  + Sql.ident(t.columnNames().get(i)));
        }
        out.add("(SELECT " + String.join(", ", cols) + ") AS " + Sql.ident(t.alias()));
      } else {
        Subquery s = (Subquery) item;
        for (ColumnInfo c : s.query().columns()) {
          cols.add("NULL::" + c.type().sqlName() + " AS " + Sql.ident(c.name()));
        }
        if (identity) {
          List<TypeRef> ids = Identity.types(s.query()).orElseThrow();
          for (int i = 0; i < ids.size(); i++) {
            cols.add("NULL::" + ids.get(i).sqlName() + " AS " + Identity.column(i + 1));
          }
          if (s.nullable()) {
            cols.add("NULL::integer AS " + Identity.MARKER);
          }
        }
        out.add("(SELECT " + String.join(", ", cols) + ") AS " + Sql.ident(s.alias()));
      }
    }
    return out;
  }
}
