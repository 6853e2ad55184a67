package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.parse.Expr;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A FROM tree: tables, subqueries, inner joins (flattened) and left joins. */
public sealed interface FromNode {

  /** Aliases of the FROM items in this tree, left to right. */
  List<String> aliases();

  /** Source indexes of every base table in this tree, at any depth. */
  Set<Integer> sourceIndexes();

  /**
   * A base table.
   *
   * @param alias the name expressions use for it
   * @param relation the table
   * @param columnNames its columns as the query names them (after {@code alias(a, b)} renames)
   * @param sourceIndex its index in {@link DefiningQuery#sources()}
   */
  record Table(String alias, RelationInfo relation, List<String> columnNames, int sourceIndex)
      implements FromNode {
    @Override
    public List<String> aliases() {
      return List.of(alias);
    }

    @Override
    public Set<Integer> sourceIndexes() {
      return Set.of(sourceIndex);
    }

    /** The primary key's columns as the query names them. */
    public List<String> keyColumns() {
      List<String> out = new ArrayList<>();
      for (String pk : relation.primaryKey()) {
        for (int i = 0; i < relation.columns().size(); i++) {
          if (relation.columns().get(i).name().equals(pk)) {
            out.add(columnNames.get(i));
          }
        }
      }
      return out;
    }
  }

  /**
   * A subquery in FROM.
   *
   * @param nullable true if it is on the NULL-padded side of a LEFT JOIN
   */
  record Subquery(String alias, QueryNode query, boolean nullable) implements FromNode {
    @Override
    public List<String> aliases() {
      return List.of(alias);
    }

    @Override
    public Set<Integer> sourceIndexes() {
      return query.sourceIndexes();
    }
  }

  /** Inner (and cross) joins of two or more parts with the conjunction of their conditions. */
  record InnerJoin(List<FromNode> parts, List<Expr> conditions) implements FromNode {
    @Override
    public List<String> aliases() {
      List<String> out = new ArrayList<>();
      parts.forEach(p -> out.addAll(p.aliases()));
      return out;
    }

    @Override
    public Set<Integer> sourceIndexes() {
      Set<Integer> out = new HashSet<>();
      parts.forEach(p -> out.addAll(p.sourceIndexes()));
      return out;
    }
  }

  /** {@code left LEFT JOIN right ON condition} (RIGHT joins arrive swapped). */
  record LeftJoin(FromNode left, FromNode right, Expr condition) implements FromNode {
    @Override
    public List<String> aliases() {
      List<String> out = new ArrayList<>(left.aliases());
      out.addAll(right.aliases());
      return out;
    }

    @Override
    public Set<Integer> sourceIndexes() {
      Set<Integer> out = new HashSet<>(left.sourceIndexes());
      out.addAll(right.sourceIndexes());
      return out;
    }
  }
}
