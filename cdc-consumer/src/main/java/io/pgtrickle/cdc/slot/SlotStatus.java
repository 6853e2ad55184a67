package io.pgtrickle.cdc.slot;

import io.pgtrickle.changelog.Lsn;

/**
 * One reading of {@code pg_replication_slots} for the consumer's slot.
 *
 * @param exists whether the slot exists
 * @param plugin its output plugin, or {@code null}
 * @param server the server's current WAL position ({@code pg_current_wal_lsn()})
 * @param confirmed the slot's {@code confirmed_flush_lsn}, or {@code null}
 * @param activePid the pid of the walsender streaming from it, or 0 if none
 * @param sent what that walsender has sent ({@code pg_stat_replication.sent_lsn}), or {@code null}
 * @param walStatus {@code wal_status}: reserved, extended, unreserved or lost
 * @param invalidationReason {@code invalidation_reason} (PostgreSQL 17+), or {@code null}
 * @param conflicting {@code conflicting} (PostgreSQL 16+): invalidated by a recovery conflict
 */
public record SlotStatus(
    boolean exists,
    String plugin,
    Lsn server,
    Lsn confirmed,
    int activePid,
    Lsn sent,
    String walStatus,
    String invalidationReason,
    boolean conflicting) {

  static SlotStatus missing(Lsn server) {
    return new SlotStatus(false, null, server, null, 0, null, null, null, false);
  }

  /**
   * Whether PostgreSQL invalidated the slot: it can never stream again.
   *
   * @return {@code true} if lost
   */
  public boolean lost() {
    return exists && ("lost".equals(walStatus) || invalidationReason != null || conflicting);
  }

  /**
   * Whether the slot is a copy invalidated while this server was a standby, found now that it is a
   * primary again, and {@code dropStandbySlotCopies} says such copies are the consumer's to drop.
   * {@code conflicting} is true only for a logical slot invalidated by a recovery conflict (rows
   * removed, or {@code wal_level} lowered, as replayed on a standby); a primary never invalidates a
   * slot that way, so the slot is not the one the consumer streamed from but a copy the server kept
   * from before it was a standby (PostgreSQL before 17 copies slots with the data directory). Seen
   * on PostgreSQL 16: two switchovers in a row (TLS turned on) brought the primary back to a member
   * whose copy was invalidated during its 11 s as a standby, and the consumer stopped for good.
   * Such a copy is replaced like a missing slot: dropped, created again, with GAP events.
   *
   * @param dropStandbySlotCopies {@code PGTRICKLE_DROP_STANDBY_SLOT_COPIES}
   * @return {@code true} to drop and create the slot again instead of stopping
   */
  public boolean staleStandbyCopy(boolean dropStandbySlotCopies) {
    return dropStandbySlotCopies && exists && conflicting;
  }

  /**
   * Whether the slot's confirmed position is ahead of every position the consumer knows it had:
   * then it is not the slot the consumer streamed from but one created since, at a later position
   * (on PostgreSQL 16 and older, Patroni creates a permanent slot on a new primary that had no copy
   * of it), and the changes committed in between will never be decoded. A slot the consumer
   * streamed from is never ahead: the server confirms only what the consumer confirmed, and Patroni
   * advances a replica's copy only to the primary's confirmed position.
   *
   * @param known the highest position the consumer knows its slot had: what it confirmed or the
   *     slot's position when it last found it, or {@code null} when it never found it (nothing to
   *     compare with)
   * @return {@code true} if the changes between {@code known} and {@link #confirmed} are lost
   */
  public boolean aheadOf(Lsn known) {
    return exists && known != null && confirmed != null && confirmed.isAfter(known);
  }

  /**
   * Why the slot is lost, in PostgreSQL's words.
   *
   * @return e.g. {@code wal_status=lost invalidation_reason=wal_removed}
   */
  public String lostReason() {
    StringBuilder sb = new StringBuilder("wal_status=").append(walStatus);
    if (invalidationReason != null) {
      sb.append(" invalidation_reason=").append(invalidationReason);
    }
    if (conflicting) {
      sb.append(" conflicting=true");
    }
    return sb.toString();
  }

  /**
   * Bytes of WAL between the server's position and the slot's confirmed one.
   *
   * @return the lag, or -1 if the slot does not exist or has no confirmed position
   */
  public long lagBytes() {
    if (!exists || confirmed == null) {
      return -1;
    }
    return Math.max(0, server.value() - confirmed.value());
  }
}
