package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.slot.SlotStatus;

/**
 * The consumer's replication slot was invalidated by PostgreSQL: it can never stream again, and the
 * changes since its confirmed position are gone. A terminal state: the program exits with code 3
 * and a message saying what to do.
 */
public final class SlotLostException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param message the full message
   */
  public SlotLostException(String message) {
    super(message);
  }

  static SlotLostException of(String slot, SlotStatus status) {
    return new SlotLostException(
        "replication slot "
            + slot
            + " is lost ("
            + status.lostReason()
            + "): PostgreSQL invalidated it, usually because the WAL it needed was removed"
            + " (max_slot_wal_keep_size exceeded while the consumer was stopped or behind), and"
            + " the changes after its confirmed position "
            + status.confirmed()
            + " can no longer be read. To resume, drop the slot (cdc-consumer decommission with the"
            + " same settings, or SELECT pg_drop_replication_slot('"
            + slot
            + "')) and start the consumer again: it creates a new slot and publishes a GAP event"
            + " for every captured table, so whatever reads the change log resynchronises (stream"
            + " tables get a full refresh)");
  }
}
