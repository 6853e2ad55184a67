package io.pgtrickle.worker.dvm.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.dvm.catalog.NodeTree;
import io.pgtrickle.worker.dvm.catalog.NodeTree.Node;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The node-tree reader on PostgreSQL's own output: names with double quotes, backslashes, spaces,
 * brackets, braces and colons, read as PostgreSQL's reader (read.c) reads them.
 */
class NodeTreeTest {

  /** The columns of the table {@code qc} of {@code quoted-names-pg15.txt}, in order. */
  private static final List<String> QC_COLUMNS =
      List.of(
          "id", "a\"b", "v", "\"x", "e\\f", "sp ace", "p(a)r", "b{r}", ":c", "<>", "1d", "x\"",
          "[q", "\"");

  /**
   * The stored tree ({@code pg_rewrite.ev_action}) of PostgreSQL 15.18's view {@code CREATE VIEW
   * vall AS SELECT *, id AS "x""y", v AS ":z", v AS """w", v AS "q""", 'it''s "quoted"'::text AS
   * lit FROM qc WHERE "a""b" <> '(}'} over {@code CREATE TABLE qc (id int PRIMARY KEY, "a""b" text,
   * v int, """x" int, "e\f" int, "sp ace" int, "p(a)r" int, "b{r}" int, ":c" int, "<>" int, "1d"
   * int, "x""" int, "[q" int, """" int)}.
   */
  private static String pg15Tree() throws IOException {
    try (InputStream in =
        NodeTreeTest.class.getResourceAsStream("/dvm/node-trees/quoted-names-pg15.txt")) {
      return new String(Objects.requireNonNull(in).readAllBytes(), StandardCharsets.UTF_8).strip();
    }
  }

  private static Node query(Object tree) {
    return NodeTree.nodes(tree).stream()
        .filter(n -> n.type().equals("QUERY"))
        .findFirst()
        .orElseThrow();
  }

  @Test
  @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void sourceColumnNamesAreReadAsPostgresqlWritesThem() throws IOException {
    // PostgreSQL escapes '"' only at the start of a string: a"b is written "a"b".
    assertThat(pg15Tree()).contains(":colnames (\"id\" \"a\"b\" \"v\" \"\\\"x\" \"e\\\\f\"");
    Object tree = NodeTree.parse(pg15Tree());
    Node rte =
        NodeTree.nodes(tree).stream()
            .filter(n -> n.type().equals("RANGETBLENTRY") && "r".equals(n.text("relkind")))
            .findFirst()
            .orElseThrow();
    assertThat(rte.node("eref").text("aliasname")).isEqualTo("qc");
    assertThat(rte.node("eref").list("colnames")).containsExactlyElementsOf(QC_COLUMNS);
  }

  @Test
  @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void outputNamesAndTheRestOfTheTreeAreIntact() throws IOException {
    Node q = query(NodeTree.parse(pg15Tree()));
    List<String> names =
        q.list("targetList").stream().map(t -> ((Node) t).text("resname")).toList();
    assertThat(names.subList(0, QC_COLUMNS.size())).containsExactlyElementsOf(QC_COLUMNS);
    assertThat(names.subList(QC_COLUMNS.size(), names.size()))
        .containsExactly("x\"y", ":z", "\"w", "q\"", "lit");
    for (Object t : q.list("targetList")) {
      assertThat(((Node) t).type()).isEqualTo("TARGETENTRY");
      assertThat(((Node) t).node("expr")).isNotNull();
    }
    // The fields after the names are still read: the WHERE clause, the range table (old, new, qc).
    assertThat(q.node("jointree").node("quals").type()).isEqualTo("OPEXPR");
    assertThat(q.text("commandType")).isEqualTo("1");
    assertThat(q.list("rtable")).hasSize(3);
  }

  @Test
  void stringsAndWordsAsReadC() {
    Node n = (Node) NodeTree.parse("{X :a \"\" :b <> :c \"\\\"\" :d \\<> :e a\\ b\\)c :f () :g }");
    assertThat(n.fields())
        .containsEntry("a", "")
        .containsEntry("b", null)
        .containsEntry("c", "\"")
        .containsEntry("d", "<>")
        .containsEntry("e", "a b)c")
        .containsEntry("f", List.of())
        .containsEntry("g", null);
    Node d = (Node) NodeTree.parse("{CONST :constvalue 4 [ 1 0 0 -1 ] :location 7}");
    assertThat(d.fields()).containsEntry("constvalue", "4").containsEntry("location", "7");
  }

  @Test
  @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void malformedTextFailsInsteadOfLooping() {
    for (String bad : List.of("({X :a 1)", "{X :a (1 2", "{X :a \"b", "(1 2 }", "{X :a")) {
      assertThatThrownBy(() -> NodeTree.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("malformed node tree");
    }
  }
}
