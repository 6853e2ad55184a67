package io.pgtrickle.worker.db;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlTest {

  @Test
  void questionMarksOutsideQuotesAndCommentsAreEscapedForTheDriver() {
    assertThat(Sql.withoutPlaceholders("SELECT j ? 'a', j ?| ARRAY['b?'] FROM t"))
        .isEqualTo("SELECT j ?? 'a', j ??| ARRAY['b?'] FROM t");
    assertThat(Sql.withoutPlaceholders("SELECT 'it''s ?', \"c?\" -- x?\n, 1 /* y? */ ? 2"))
        .isEqualTo("SELECT 'it''s ?', \"c?\" -- x?\n, 1 /* y? */ ?? 2");
    assertThat(Sql.withoutPlaceholders("SELECT 1")).isEqualTo("SELECT 1");
  }
}
