package io.pgtrickle.worker.dvm.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.dvm.parse.SqlLexer;
import io.pgtrickle.worker.dvm.parse.SqlSyntaxException;
import io.pgtrickle.worker.dvm.parse.Token;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlLexerTest {

  private static List<String> texts(String sql) {
    return SqlLexer.tokenize(sql).stream().map(Token::text).toList();
  }

  @Test
  void keepsPostgresOperatorsWhole() {
    assertThat(texts("a ~~ 'n%' AND b !~~* 'x' OR c->>'k' <> d"))
        .containsExactly(
            "a", "~~", "'n%'", "AND", "b", "!~~*", "'x'", "OR", "c", "->>", "'k'", "<>", "d");
  }

  @Test
  void splitsTrailingSignsLikePostgres() {
    assertThat(texts("a*-1")).containsExactly("a", "*", "-", "1");
    assertThat(texts("a @- b")).containsExactly("a", "@-", "b");
  }

  @Test
  void readsLiteralsAndIdentifiers() {
    assertThat(texts("E'it\\'s' 'a''b' $tag$x;y$tag$ \"Mixed\"\"Case\" x::numeric(10,2) 1.5e-3 $1"))
        .containsExactly(
            "E'it\\'s'",
            "'a''b'",
            "$tag$x;y$tag$",
            "\"Mixed\"\"Case\"",
            "x",
            "::",
            "numeric",
            "(",
            "10",
            ",",
            "2",
            ")",
            "1.5e-3",
            "$1");
    Token quoted = SqlLexer.tokenize("\"Mixed\"\"Case\"").get(0);
    assertThat(quoted.identifierName()).isEqualTo("Mixed\"Case");
    assertThat(SqlLexer.tokenize("Abc").get(0).identifierName()).isEqualTo("abc");
  }

  @Test
  void dropsComments() {
    assertThat(texts("a -- note\n + /* x /* nested */ */ b")).containsExactly("a", "+", "b");
  }

  @Test
  void rejectsUnterminatedLiterals() {
    assertThatThrownBy(() -> SqlLexer.tokenize("'open"))
        .isInstanceOf(SqlSyntaxException.class)
        .hasMessageContaining("unterminated string");
  }
}
