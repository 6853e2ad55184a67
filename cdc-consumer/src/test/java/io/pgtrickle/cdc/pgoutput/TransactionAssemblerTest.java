package io.pgtrickle.cdc.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TransactionAssemblerTest {

  private final List<ChangeEvent> events = new ArrayList<>();
  private final List<Lsn> commits = new ArrayList<>();
  private TransactionAssembler assembler;

  @BeforeEach
  void setUp() {
    assembler =
        new TransactionAssembler(
            new TransactionAssembler.Sink() {
              @Override
              public void event(ChangeEvent event) {
                events.add(event);
              }

              @Override
              public void commit(Lsn endLsn, Instant commitTime, int count) {
                commits.add(endLsn);
              }
            },
            "slot_a");
    // orders(id int8 key, name text, doc text) with DEFAULT identity; audit with FULL.
    relation(100, 'd');
    relation(200, 'f');
  }

  private void relation(int oid, char identity) {
    feed(
        Messages.of('R')
            .i32(oid)
            .str("public")
            .str("t" + oid)
            .b(identity)
            .i16(3)
            .b(1)
            .str("id")
            .i32(20)
            .i32(-1)
            .b(0)
            .str("name")
            .i32(25)
            .i32(-1)
            .b(0)
            .str("doc")
            .i32(25)
            .i32(-1));
  }

  private void feed(Messages m) {
    assembler.accept(m.decode());
  }

  private void begin(long commitLsn, int xid) {
    feed(Messages.of('B').i64(commitLsn).i64(0).i32(xid));
  }

  private void commit(long commitLsn, long endLsn) {
    feed(Messages.of('C').b(0).i64(commitLsn).i64(endLsn).i64(0));
  }

  private static Map<String, Object> row(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void changesOfATransactionShareItsCommitLsnWithIncreasingSubPositions() {
    begin(0x5000, 42);
    feed(Messages.of('I').i32(100).b('N').tuple("1", "a", null));
    feed(Messages.of('I').i32(200).b('N').tuple("2", "b", "x"));
    feed(Messages.of('I').i32(100).b('N').tuple("3", "c", "y"));
    commit(0x5000, 0x5030);
    assertThat(events)
        .extracting(ChangeEvent::lsn)
        .containsExactly(Lsn.of(0x5000, 0), Lsn.of(0x5000, 1), Lsn.of(0x5000, 2));
    assertThat(events).extracting(ChangeEvent::sourceOid).containsExactly(100L, 200L, 100L);
    assertThat(events.get(0).xid()).isEqualTo(42);
    assertThat(events.get(0).timestamp()).isEqualTo(Instant.parse("2000-01-01T00:00:00Z"));
    assertThat(events.get(0).columns()).isEqualTo(row("id", 1L, "name", "a", "doc", null));
    assertThat(commits).containsExactly(Lsn.of(0x5030));
    assertThat(assembler.inTransaction()).isFalse();

    // The same transaction sent again after a restart gets the same positions.
    List<Lsn> first = events.stream().map(ChangeEvent::lsn).toList();
    events.clear();
    begin(0x5000, 42);
    feed(Messages.of('I').i32(100).b('N').tuple("1", "a", null));
    feed(Messages.of('I').i32(200).b('N').tuple("2", "b", "x"));
    feed(Messages.of('I').i32(100).b('N').tuple("3", "c", "y"));
    commit(0x5000, 0x5030);
    assertThat(events).extracting(ChangeEvent::lsn).isEqualTo(first);
  }

  @Test
  void oldColumnsFollowTheReplicaIdentity() {
    begin(0x6000, 1);
    // DEFAULT identity, key unchanged: PostgreSQL sends no old key; it comes from the new row.
    feed(Messages.of('U').i32(100).b('N').tuple("1", "new", null));
    // DEFAULT identity, key changed: the old key, other columns NULL in the key tuple.
    feed(Messages.of('U').i32(100).b('K').tuple("1", null, null).b('N').tuple("9", "new", null));
    feed(Messages.of('D').i32(100).b('K').tuple("9", null, null));
    // FULL identity: the whole old row.
    feed(Messages.of('U').i32(200).b('O').tuple("2", "old", "d").b('N').tuple("2", "new", "d"));
    feed(Messages.of('D').i32(200).b('O').tuple("2", "new", "d"));
    commit(0x6000, 0x6040);
    assertThat(events)
        .extracting(ChangeEvent::action)
        .containsExactly(
            ChangeAction.UPDATE,
            ChangeAction.UPDATE,
            ChangeAction.DELETE,
            ChangeAction.UPDATE,
            ChangeAction.DELETE);
    assertThat(events.get(0).oldColumns()).isEqualTo(row("id", 1L));
    assertThat(events.get(1).oldColumns()).isEqualTo(row("id", 1L));
    assertThat(events.get(1).columns()).isEqualTo(row("id", 9L, "name", "new", "doc", null));
    assertThat(events.get(2).oldColumns()).isEqualTo(row("id", 9L));
    assertThat(events.get(2).columns()).isNull();
    assertThat(events.get(3).oldColumns()).isEqualTo(row("id", 2L, "name", "old", "doc", "d"));
    assertThat(events.get(4).oldColumns()).isEqualTo(row("id", 2L, "name", "new", "doc", "d"));
    // Only the whole old row is not key-only; the events say which is which.
    assertThat(events)
        .extracting(ChangeEvent::oldKeyOnly)
        .containsExactly(true, true, true, false, false);
  }

  @Test
  void insertsTruncatesAndGapsAreNeverKeyOnly() {
    begin(0x6100, 1);
    feed(Messages.of('I').i32(100).b('N').tuple("1", "a", null));
    feed(Messages.of('T').i32(1).b(0).i32(100));
    commit(0x6100, 0x6140);
    assertThat(events).extracting(ChangeEvent::oldKeyOnly).containsOnly(false);
  }

  @Test
  void unchangedToastIsOmittedOrFilledFromTheFullOldRow() {
    begin(0x7000, 1);
    feed(Messages.of('U').i32(100).b('N').tuple("1", "n", Messages.UNCHANGED));
    feed(
        Messages.of('U')
            .i32(200)
            .b('O')
            .tuple("2", "o", "big")
            .b('N')
            .tuple("2", "n", Messages.UNCHANGED));
    commit(0x7000, 0x7040);
    assertThat(events.get(0).columns()).isEqualTo(row("id", 1L, "name", "n"));
    assertThat(events.get(0).columns()).doesNotContainKey("doc");
    assertThat(events.get(1).columns()).isEqualTo(row("id", 2L, "name", "n", "doc", "big"));
  }

  @Test
  void truncateGivesOneEventPerTable() {
    begin(0x8000, 1);
    feed(Messages.of('T').i32(2).b(0).i32(100).i32(200));
    commit(0x8000, 0x8040);
    assertThat(events).extracting(ChangeEvent::action).containsOnly(ChangeAction.TRUNCATE);
    assertThat(events).extracting(ChangeEvent::sourceOid).containsExactly(100L, 200L);
    assertThat(events)
        .extracting(ChangeEvent::lsn)
        .containsExactly(Lsn.of(0x8000), Lsn.of(0x8000, 1));
  }

  private void message(boolean transactional, String prefix, String content) {
    byte[] bytes = content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Messages m = Messages.of('M').b(transactional ? 1 : 0).i64(1).str(prefix).i32(bytes.length);
    for (byte b : bytes) {
      m.b(b);
    }
    feed(m);
  }

  @Test
  void thisSlotsGapMarkerBecomesGapEventsAtItsPlaceInTheTransaction() {
    begin(0xA000, 5);
    feed(Messages.of('I').i32(100).b('N').tuple("1", "a", null));
    message(true, GapMarkers.PREFIX, GapMarkers.format("slot_a", List.of(300L, 100L)));
    message(true, GapMarkers.PREFIX, GapMarkers.format("slot_b", List.of(400L))); // not ours
    message(true, "pgtrickle", "gap slot=slot_a sources=500"); // another prefix
    message(false, GapMarkers.PREFIX, GapMarkers.format("slot_a", List.of(600L))); // no order
    commit(0xA000, 0xA040);
    assertThat(events)
        .extracting(ChangeEvent::action)
        .containsExactly(ChangeAction.INSERT, ChangeAction.GAP, ChangeAction.GAP);
    assertThat(events).extracting(ChangeEvent::sourceOid).containsExactly(100L, 300L, 100L);
    assertThat(events)
        .extracting(ChangeEvent::lsn)
        .containsExactly(Lsn.of(0xA000), Lsn.of(0xA000, 1), Lsn.of(0xA000, 2));
    assertThat(events.get(1).columns()).isNull();
    assertThat(events.get(1).oldColumns()).isNull();
    assertThat(events.get(1).xid()).isEqualTo(5);
  }

  @Test
  void protocolViolationsFail() {
    assertThatThrownBy(() -> feed(Messages.of('I').i32(100).b('N').tuple("1", "a", null)))
        .isInstanceOf(PgOutputException.class)
        .hasMessageContaining("outside a transaction");
    begin(0x9000, 1);
    assertThatThrownBy(() -> feed(Messages.of('I').i32(300).b('N').tuple("1")))
        .isInstanceOf(PgOutputException.class)
        .hasMessageContaining("before its Relation message");
    assertThatThrownBy(() -> feed(Messages.of('I').i32(100).b('N').tuple("1")))
        .isInstanceOf(PgOutputException.class)
        .hasMessageContaining("has 1 columns");
  }
}
