package io.pgtrickle.worker.dvm.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.dvm.parse.SqlSyntaxException;
import io.pgtrickle.worker.dvm.sql.PreparedText;
import org.junit.jupiter.api.Test;

class PreparedTextTest {

  @Test
  void operatorQuestionMarksAreDoubled() {
    assertThat(PreparedText.withoutPlaceholders("SELECT j ? 'a', j ?| ARRAY['b?'], j ?& x FROM t"))
        .isEqualTo("SELECT j ?? 'a', j ??| ARRAY['b?'], j ??& x FROM t");
    // Geometric operators, prefix and infix, also glued to their operands.
    assertThat(PreparedText.withoutPlaceholders("SELECT ?-l, a?#b, a ?-| b, a?||b"))
        .isEqualTo("SELECT ??-l, a??#b, a ??-| b, a??||b");
    assertThat(PreparedText.withoutPlaceholders("SELECT 1")).isEqualTo("SELECT 1");
  }

  @Test
  void questionMarksInLiteralsIdentifiersAndCommentsAreKept() {
    String kept =
        "SELECT '?', 'it''s ?', E'\\'?', $$?$$, $q$ ' ? $q$, \"a?b\", U&\"?\", B'1' -- x?\n"
            + ", 1 /* y? /* nested ? */ ? */ FROM t";
    assertThat(PreparedText.withoutPlaceholders(kept)).isEqualTo(kept);
    // The same, followed by an operator: only the operator changes.
    assertThat(PreparedText.withoutPlaceholders("SELECT E'\\'?' ? $$?$$ -- ?\n ?| '?'"))
        .isEqualTo("SELECT E'\\'?' ?? $$?$$ -- ?\n ??| '?'");
  }

  @Test
  void castPlaceholdersAreKept() {
    assertThat(
            PreparedText.withCastPlaceholders(
                "SELECT * FROM t WHERE lsn >= ?::pg_lsn AND j ? 'k' AND x IN (SELECT ?::int)"))
        .isEqualTo("SELECT * FROM t WHERE lsn >= ?::pg_lsn AND j ?? 'k' AND x IN (SELECT ?::int)");
    // Without the cast convention every ? is an operator's.
    assertThat(PreparedText.withoutPlaceholders("SELECT ?::int")).isEqualTo("SELECT ??::int");
  }

  @Test
  void untokenizableTextIsRefused() {
    assertThatThrownBy(() -> PreparedText.withoutPlaceholders("SELECT 'a ? b"))
        .isInstanceOf(SqlSyntaxException.class);
  }
}
