package io.pgtrickle.worker.dvm.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.dvm.parse.QueryAst;
import io.pgtrickle.worker.dvm.parse.QueryParser;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import io.pgtrickle.worker.dvm.plan.OutputNames;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The names of select-list entries, as PostgreSQL gives them and pg_get_viewdef prints them. */
class OutputNamesTest {

  private static List<QueryAst.Target> targets(String select) {
    return ((QueryAst.Select) QueryParser.parse(select)).targets();
  }

  @Test
  void anAliasAColumnOrPostgresqlsUnnamed() {
    assertThat(
            OutputNames.of(
                targets("SELECT mr.m, 1, upper(mr.m) AS upper, mr.id AS k, \"Q\" FROM public.mr"),
                List.of()))
        .containsExactly("m", "?column?", "upper", "k", "Q");
    assertThat(targets("SELECT (mr.id + 1), upper(mr.m) FROM public.mr"))
        .extracting(OutputNames::of)
        .containsExactly("?column?", "?column?");
  }

  @Test
  void renamesComeFirst() {
    // A later UNION ALL branch (PostgreSQL prints it without names) takes the first's.
    assertThat(OutputNames.of(targets("SELECT mr.m, 2, 3 FROM public.mr"), List.of("m", "a", "b")))
        .containsExactly("m", "a", "b");
    assertThat(OutputNames.of(targets("SELECT mr.m, mr.id FROM public.mr"), List.of("x")))
        .containsExactly("x", "id");
  }

  @Test
  void twoColumnsOfTheSameNameAreNotMaintained() {
    // Possible in a subquery only (the stream table's columns are a table's).
    assertThatThrownBy(() -> OutputNames.of(targets("SELECT 1, 2 FROM public.mr"), List.of()))
        .isInstanceOf(Unsupported.class)
        .hasMessage("two columns named ?column? in one select list");
  }
}
