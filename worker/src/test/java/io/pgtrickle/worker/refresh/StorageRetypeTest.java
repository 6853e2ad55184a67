package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.refresh.StorageRetype.Column;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StorageRetypeTest {

  private static final String T = "\"public\".\"st\"";

  @Test
  void sameTypesChangeNothing() throws SQLException {
    List<String> changes = new ArrayList<>();
    List<Column> cols = List.of(new Column("id", "integer"), new Column("a", "numeric(10,2)"));
    assertThat(StorageRetype.alterations("public.st", T, cols, cols, changes)).isEmpty();
    assertThat(changes).isEmpty();
  }

  @Test
  void retypedColumnsAreAlteredInOneStatement() throws SQLException {
    List<String> changes = new ArrayList<>();
    List<String> sql =
        StorageRetype.alterations(
            "public.st",
            T,
            List.of(
                new Column("id", "integer"), new Column("a", "integer"), new Column("s", "bigint")),
            List.of(
                new Column("id", "integer"),
                new Column("a", "double precision"),
                new Column("s", "numeric")),
            changes);
    assertThat(sql)
        .containsExactly(
            "ALTER TABLE "
                + T
                + " ALTER COLUMN \"a\" TYPE double precision USING NULL::double precision,"
                + " ALTER COLUMN \"s\" TYPE numeric USING NULL::numeric");
    assertThat(changes).containsExactly("a: integer -> double precision", "s: bigint -> numeric");
  }

  @Test
  void otherColumnNamesFailWithTheWayOut() {
    assertThatThrownBy(
            () ->
                StorageRetype.alterations(
                    "public.st",
                    T,
                    List.of(new Column("id", "integer"), new Column("a", "integer")),
                    List.of(new Column("id", "integer"), new Column("b", "integer")),
                    new ArrayList<>()))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("(id, b)")
        .hasMessageContaining("alter_stream_table('public.st', query => ...)")
        .extracting(e -> ((SQLException) e).getSQLState())
        .isEqualTo("42P16");
  }
}
