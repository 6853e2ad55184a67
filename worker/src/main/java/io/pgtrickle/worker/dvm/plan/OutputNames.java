package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.parse.QueryAst;
import io.pgtrickle.worker.dvm.parse.Token;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The names of a select list's columns, as PostgreSQL gives them: the alias, else a plain column
 * reference's column name, else {@value #UNNAMED}. The text read is {@code pg_get_viewdef}'s, which
 * writes {@code AS} wherever a name is visible and is not the column's own ({@code 1 AS
 * "?column?"}, {@code upper(t.m) AS upper}), and leaves the names out where they are not visible:
 * in the branches of a UNION ALL after the first ({@code SELECT m, 1 ... UNION ALL SELECT m, 2 ...}
 * prints the {@code 2} bare). The union's columns are the first branch's, and the later branches
 * are given its names by position ({@code renames}). {@value #UNNAMED} for any other bare entry is
 * PostgreSQL's own fallback name ({@code FigureColname}), never a guess at a function's.
 */
public final class OutputNames {

  /** PostgreSQL's name of an expression it has no other name for ({@code FigureColname}). */
  public static final String UNNAMED = "?column?";

  private OutputNames() {}

  /**
   * The name of one select-list entry.
   *
   * @param t the entry
   * @return its alias, its column's name, or {@value #UNNAMED}
   */
  public static String of(QueryAst.Target t) {
    if (t.alias() != null) {
      return t.alias();
    }
    List<Token> k = t.expr().tokens();
    if (k.size() == 3 && k.get(1).is(".") && k.get(2).isIdentifier()) {
      return k.get(2).identifierName();
    }
    if (k.size() == 1 && k.get(0).isIdentifier()) {
      return k.get(0).identifierName();
    }
    return UNNAMED;
  }

  /**
   * The names of a select list's columns.
   *
   * @param targets the select list
   * @param renames names given from outside, by position: a subquery's column aliases ({@code (...)
   *     q(a, b)}) or the first branch's names for a later branch of a UNION ALL; empty for none
   * @return one distinct name per entry
   * @throws Unsupported if two columns have the same name (a guard: the stream table's own columns
   *     are a table's, and pg_get_viewdef names a subquery's duplicates apart with column aliases,
   *     {@code q(k, k_1)}; the engine could not tell them apart, and the query is refreshed FULL)
   */
  public static List<String> of(List<QueryAst.Target> targets, List<String> renames) {
    List<String> names = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < targets.size(); i++) {
      String name = i < renames.size() ? renames.get(i) : of(targets.get(i));
      if (!seen.add(name)) {
        throw new Unsupported("two columns named " + name + " in one select list");
      }
      names.add(name);
    }
    return names;
  }
}
