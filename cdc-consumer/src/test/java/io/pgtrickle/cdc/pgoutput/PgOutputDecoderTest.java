package io.pgtrickle.cdc.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Begin;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Column;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Commit;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Delete;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Insert;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Relation;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Truncate;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Update;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgOutputDecoderTest {

  @Test
  void beginAndCommitCarryLsnsXidAndUnixTime() {
    Begin b = (Begin) Messages.of('B').i64(0x1A3B4C0L).i64(1_000_000L).i32(-5).decode();
    assertThat(b.finalLsn()).isEqualTo(0x1A3B4C0L);
    assertThat(b.commitMicros()).isEqualTo(PgOutputDecoder.POSTGRES_EPOCH_MICROS + 1_000_000L);
    assertThat(b.xid()).as("xids are unsigned").isEqualTo(4294967291L);
    Commit c = (Commit) Messages.of('C').b(0).i64(10).i64(58).i64(0).decode();
    assertThat(c).isEqualTo(new Commit(10, 58, PgOutputDecoder.POSTGRES_EPOCH_MICROS));
  }

  @Test
  void relationListsColumnsWithKeyFlags() {
    Relation r =
        (Relation)
            Messages.of('R')
                .i32(16384)
                .str("")
                .str("orders")
                .b('f')
                .i16(2)
                .b(1)
                .str("id")
                .i32(20)
                .i32(-1)
                .b(0)
                .str("name ✓")
                .i32(1043)
                .i32(36)
                .decode();
    assertThat(r.oid()).isEqualTo(16384);
    assertThat(r.namespace()).as("empty means pg_catalog").isEqualTo("pg_catalog");
    assertThat(r.replicaIdentity()).isEqualTo('f');
    assertThat(r.columns())
        .containsExactly(new Column("id", 20, -1, true), new Column("name ✓", 1043, 36, false));
  }

  @Test
  void rowMessagesCarryTuples() {
    Insert i = (Insert) Messages.of('I').i32(7).b('N').tuple("1", null).decode();
    assertThat(i.newTuple().text(0)).isEqualTo("1");
    assertThat(i.newTuple().kind(1)).isEqualTo(TupleData.Kind.NULL);

    Update plain = (Update) Messages.of('U').i32(7).b('N').tuple("1", Messages.UNCHANGED).decode();
    assertThat(plain.oldTuple()).isNull();
    assertThat(plain.newTuple().kind(1)).isEqualTo(TupleData.Kind.UNCHANGED_TOAST);

    Update keyed =
        (Update) Messages.of('U').i32(7).b('K').tuple("1", null).b('N').tuple("2", "x").decode();
    assertThat(keyed.oldIsKey()).isTrue();
    assertThat(keyed.oldTuple().text(0)).isEqualTo("1");

    Delete full = (Delete) Messages.of('D').i32(7).b('O').tuple("1", "x").decode();
    assertThat(full.oldIsKey()).isFalse();

    Truncate t = (Truncate) Messages.of('T').i32(2).b(3).i32(7).i32(8).decode();
    assertThat(t.relationOids()).isEqualTo(List.of(7L, 8L));
    assertThat(t.cascade()).isTrue();
    assertThat(t.restartIdentity()).isTrue();
  }

  @Test
  void logicalDecodingMessage() {
    byte[] content = "gap slot=s sources=1".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Messages m = Messages.of('M').b(1).i64(0x1234).str("pgtrickle_cdc").i32(content.length);
    for (byte b : content) {
      m.b(b);
    }
    PgOutputMessage.LogicalMessage decoded = (PgOutputMessage.LogicalMessage) m.decode();
    assertThat(decoded.transactional()).isTrue();
    assertThat(decoded.lsn()).isEqualTo(0x1234);
    assertThat(decoded.prefix()).isEqualTo("pgtrickle_cdc");
    assertThat(decoded.content()).isEqualTo(content);
    assertThatThrownBy(() -> Messages.of('M').b(0).i64(1).str("p").i32(5).b(1).decode())
        .isInstanceOf(PgOutputException.class)
        .hasMessageContaining("logical decoding message of 5 bytes");
  }

  @Test
  void otherMessagesAreIgnoredAndGarbageFails() {
    assertThat(Messages.of('O').i64(1).str("origin").decode())
        .isEqualTo(new PgOutputMessage.Ignored('O'));
    assertThatThrownBy(() -> Messages.of('S').i32(1).decode())
        .isInstanceOf(PgOutputException.class)
        .hasMessageContaining("unknown pgoutput message type 'S'");
    assertThatThrownBy(() -> Messages.of('B').i32(1).decode())
        .isInstanceOf(PgOutputException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> Messages.of('I').i32(7).b('N').i16(1).b('b').i32(1).b(1).decode())
        .isInstanceOf(PgOutputException.class)
        .hasMessageContaining("only text format");
  }
}
