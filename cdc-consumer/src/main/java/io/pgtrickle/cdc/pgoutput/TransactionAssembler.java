package io.pgtrickle.cdc.pgoutput;

import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Begin;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Column;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Commit;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Delete;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Insert;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.LogicalMessage;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Relation;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Truncate;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Update;
import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the decoded message stream of one replication session into change events.
 *
 * <p>Positions: every change of a transaction gets the transaction's commit LSN ({@code
 * Begin.final_lsn}) and its index in the transaction as sub-position ({@link Lsn#of(long, int)}).
 * Transactions arrive in commit order and commit LSNs grow with it, so positions strictly increase
 * per source; and they depend only on the transaction, so a transaction PostgreSQL sends again
 * after a restart gets the same positions and the change log drops it as already published.
 *
 * <p>Columns: INSERT and UPDATE carry the new row. {@code old_columns} follows the table's replica
 * identity: the key columns for DEFAULT and USING INDEX (taken from the new row when PostgreSQL
 * sends no old key because the key did not change), the whole old row for FULL. An unchanged
 * TOASTed column of an UPDATE, which PostgreSQL does not send, is filled from the old row under
 * REPLICA IDENTITY FULL and otherwise left out of {@code columns}: a missing column means "not
 * changed, value not sent", unlike a column that is present with a null value (SQL NULL).
 *
 * <p>Gaps: a transactional {@link GapMarkers gap marker} for this consumer's slot becomes one
 * {@code GAP} event per source it names, at the marker's place in its transaction.
 *
 * <p>Not thread-safe: one instance per replication session, fed from one thread.
 */
public final class TransactionAssembler {

  /** Receives what the assembler produces, in stream order. */
  public interface Sink {

    /**
     * A change of the current transaction.
     *
     * @param event the change event
     */
    void event(ChangeEvent event);

    /**
     * The current transaction committed; all its events were passed to {@link #event}.
     *
     * @param endLsn the position after the commit record, to confirm once published
     * @param commitTime the commit time
     * @param events how many events the transaction had
     */
    void commit(Lsn endLsn, Instant commitTime, int events);
  }

  private final Map<Long, Relation> relations = new HashMap<>();
  private final Sink sink;
  private final String slot;
  private Begin current;
  private Instant commitTime;
  private int index;

  /**
   * Creates an assembler.
   *
   * @param sink where events and commits go
   */
  public TransactionAssembler(Sink sink) {
    this(sink, null);
  }

  /**
   * Creates an assembler that also turns this slot's gap markers into GAP events.
   *
   * @param sink where events and commits go
   * @param slot the slot whose {@link GapMarkers gap markers} count, or {@code null} for none
   */
  public TransactionAssembler(Sink sink, String slot) {
    this.sink = sink;
    this.slot = slot;
  }

  /**
   * Whether a transaction has begun and not yet committed.
   *
   * @return {@code true} between Begin and Commit
   */
  public boolean inTransaction() {
    return current != null;
  }

  /**
   * Applies one message.
   *
   * @param message the decoded message
   * @throws PgOutputException if the stream breaks the protocol (a change outside a transaction, a
   *     table never described)
   */
  public void accept(PgOutputMessage message) {
    // Java 17: no pattern matching for switch yet.
    if (message instanceof Begin b) {
      if (current != null) {
        throw new PgOutputException("Begin inside transaction " + current.xid());
      }
      current = b;
      commitTime = instant(b.commitMicros());
      index = 0;
    } else if (message instanceof Commit c) {
      requireTransaction("Commit");
      sink.commit(Lsn.of(c.endLsn()), instant(c.commitMicros()), index);
      current = null;
    } else if (message instanceof Relation r) {
      relations.put(r.oid(), r);
    } else if (message instanceof Insert i) {
      Map<String, Object> row = row(i.relationOid(), i.newTuple(), null);
      emit(i.relationOid(), ChangeAction.INSERT, row, null, false);
    } else if (message instanceof Update u) {
      update(u);
    } else if (message instanceof Delete d) {
      Map<String, Object> old = old(d.relationOid(), d.oldTuple(), d.oldIsKey());
      emit(d.relationOid(), ChangeAction.DELETE, null, old, d.oldIsKey());
    } else if (message instanceof Truncate t) {
      for (long oid : t.relationOids()) {
        emit(oid, ChangeAction.TRUNCATE, null, null, false);
      }
    } else if (message instanceof LogicalMessage m && m.transactional()) {
      for (long oid : GapMarkers.sources(slot, m.prefix(), m.content())) {
        emit(oid, ChangeAction.GAP, null, null, false);
      }
    }
  }

  private void update(Update u) {
    Relation relation = relation(u.relationOid());
    TupleData fullOld = u.oldTuple() != null && !u.oldIsKey() ? u.oldTuple() : null;
    Map<String, Object> columns = row(u.relationOid(), u.newTuple(), fullOld);
    Map<String, Object> old;
    if (u.oldTuple() != null) {
      old = old(u.relationOid(), u.oldTuple(), u.oldIsKey());
    } else {
      old = keyOf(relation, columns);
    }
    // Only REPLICA IDENTITY FULL sends the whole old row ('O'); DEFAULT and USING INDEX send the
    // key ('K'), or nothing when the key did not change. The event says so: a reader retracting
    // the old row from something derived cannot use a key.
    emit(u.relationOid(), ChangeAction.UPDATE, columns, old, fullOld == null);
  }

  private void emit(
      long relationOid,
      ChangeAction action,
      Map<String, Object> columns,
      Map<String, Object> old,
      boolean oldKeyOnly) {
    requireTransaction(action.name());
    if (action != ChangeAction.GAP) {
      relation(relationOid);
    }
    if (index == Integer.MAX_VALUE) {
      throw new PgOutputException("transaction " + current.xid() + " has more than 2^31 changes");
    }
    Lsn lsn = Lsn.of(current.finalLsn(), index++);
    boolean jsonText = action != ChangeAction.GAP && jsonText(relation(relationOid));
    sink.event(
        new ChangeEvent(
            relationOid,
            lsn,
            current.xid(),
            action,
            columns,
            old,
            commitTime,
            jsonText,
            oldKeyOnly));
  }

  private static boolean jsonText(Relation relation) {
    for (Column column : relation.columns()) {
      if (ValueConverter.jsonText(column.typeOid())) {
        return true;
      }
    }
    return false;
  }

  private Map<String, Object> row(long relationOid, TupleData tuple, TupleData fullOld) {
    Relation relation = relation(relationOid);
    List<Column> columns = relation.columns();
    checkWidth(relation, tuple);
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      Column column = columns.get(i);
      switch (tuple.kind(i)) {
        case NULL -> out.put(column.name(), null);
        case TEXT ->
            out.put(column.name(), ValueConverter.convert(column.typeOid(), tuple.text(i)));
        case UNCHANGED_TOAST -> {
          if (fullOld != null && fullOld.kind(i) != TupleData.Kind.UNCHANGED_TOAST) {
            out.put(column.name(), value(column, fullOld, i));
          }
        }
      }
    }
    return out;
  }

  private Map<String, Object> old(long relationOid, TupleData tuple, boolean keyOnly) {
    Relation relation = relation(relationOid);
    checkWidth(relation, tuple);
    Map<String, Object> out = new LinkedHashMap<>();
    List<Column> columns = relation.columns();
    for (int i = 0; i < columns.size(); i++) {
      Column column = columns.get(i);
      // A key tuple has every column, the non-key ones as NULL: keep only the key.
      if ((!keyOnly || column.key()) && tuple.kind(i) != TupleData.Kind.UNCHANGED_TOAST) {
        out.put(column.name(), value(column, tuple, i));
      }
    }
    return out;
  }

  private static Map<String, Object> keyOf(Relation relation, Map<String, Object> row) {
    Map<String, Object> key = new LinkedHashMap<>();
    for (Column column : relation.columns()) {
      if (column.key() && row.containsKey(column.name())) {
        key.put(column.name(), row.get(column.name()));
      }
    }
    return key.isEmpty() ? null : key;
  }

  private static Object value(Column column, TupleData tuple, int i) {
    return tuple.kind(i) == TupleData.Kind.TEXT
        ? ValueConverter.convert(column.typeOid(), tuple.text(i))
        : null;
  }

  private static void checkWidth(Relation relation, TupleData tuple) {
    if (tuple.size() != relation.columns().size()) {
      throw new PgOutputException(
          "tuple of "
              + relation.namespace()
              + "."
              + relation.name()
              + " has "
              + tuple.size()
              + " columns, its Relation message "
              + relation.columns().size());
    }
  }

  private Relation relation(long oid) {
    Relation r = relations.get(oid);
    if (r == null) {
      throw new PgOutputException("change of relation " + oid + " before its Relation message");
    }
    return r;
  }

  private void requireTransaction(String what) {
    if (current == null) {
      throw new PgOutputException(what + " outside a transaction");
    }
  }

  private static Instant instant(long unixMicros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(unixMicros, 1_000_000L), Math.floorMod(unixMicros, 1_000_000L) * 1000L);
  }
}
