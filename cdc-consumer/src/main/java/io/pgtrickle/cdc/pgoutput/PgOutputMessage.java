package io.pgtrickle.cdc.pgoutput;

import java.util.List;

/**
 * One message of the pgoutput logical replication protocol, version 1, as {@link PgOutputDecoder}
 * reads it. Only what the consumer needs is kept; times are PostgreSQL's microseconds since
 * 2000-01-01 converted to Unix microseconds.
 */
public sealed interface PgOutputMessage {

  /**
   * The start of a transaction.
   *
   * @param finalLsn the LSN of the transaction's commit record
   * @param commitMicros the commit time, microseconds since the Unix epoch
   * @param xid the transaction id
   */
  record Begin(long finalLsn, long commitMicros, long xid) implements PgOutputMessage {}

  /**
   * The end of a transaction.
   *
   * @param commitLsn the LSN of the commit record
   * @param endLsn the LSN just after the commit record: the position to confirm once published
   * @param commitMicros the commit time, microseconds since the Unix epoch
   */
  record Commit(long commitLsn, long endLsn, long commitMicros) implements PgOutputMessage {}

  /**
   * A table's description, sent before its first change and again after it changed.
   *
   * @param oid the relation OID
   * @param namespace the schema
   * @param name the table name
   * @param replicaIdentity {@code d} default (primary key), {@code f} full, {@code i} index, {@code
   *     n} nothing
   * @param columns the published columns in order
   */
  record Relation(
      long oid, String namespace, String name, char replicaIdentity, List<Column> columns)
      implements PgOutputMessage {}

  /**
   * A column of a {@link Relation}.
   *
   * @param name the column name
   * @param typeOid the type OID
   * @param typeModifier the type modifier (-1 if none)
   * @param key whether the column is part of the replica identity
   */
  record Column(String name, int typeOid, int typeModifier, boolean key) {}

  /**
   * A new row.
   *
   * @param relationOid the table
   * @param newTuple the row
   */
  record Insert(long relationOid, TupleData newTuple) implements PgOutputMessage {}

  /**
   * A changed row.
   *
   * @param relationOid the table
   * @param oldTuple the old key ({@code K}) or row ({@code O}), or {@code null} if PostgreSQL sent
   *     none (the key did not change)
   * @param oldIsKey whether {@code oldTuple} holds only the key columns
   * @param newTuple the new row
   */
  record Update(long relationOid, TupleData oldTuple, boolean oldIsKey, TupleData newTuple)
      implements PgOutputMessage {}

  /**
   * A removed row.
   *
   * @param relationOid the table
   * @param oldTuple the old key ({@code K}) or row ({@code O})
   * @param oldIsKey whether {@code oldTuple} holds only the key columns
   */
  record Delete(long relationOid, TupleData oldTuple, boolean oldIsKey)
      implements PgOutputMessage {}

  /**
   * Tables emptied by one TRUNCATE statement.
   *
   * @param relationOids the tables
   * @param cascade whether CASCADE was given
   * @param restartIdentity whether RESTART IDENTITY was given
   */
  record Truncate(List<Long> relationOids, boolean cascade, boolean restartIdentity)
      implements PgOutputMessage {}

  /**
   * A logical decoding message ({@code pg_logical_emit_message}), sent when the stream was started
   * with {@code messages 'true'}.
   *
   * @param transactional whether it belongs to the current transaction (then it arrives between
   *     Begin and Commit, in order with the transaction's changes)
   * @param lsn the message's WAL position
   * @param prefix the prefix it was emitted with
   * @param content its content
   */
  record LogicalMessage(boolean transactional, long lsn, String prefix, byte[] content)
      implements PgOutputMessage {}

  /**
   * A message the consumer does not act on (origin, type).
   *
   * @param tag the message's type byte
   */
  record Ignored(char tag) implements PgOutputMessage {}
}
