package io.pgtrickle.changelog;

import java.util.List;

/** Checks of the publishing contract shared by the backends. */
public final class PublishBatch {

  private PublishBatch() {}

  /**
   * Checks that every event belongs to {@code sourceOid} and that LSNs strictly increase.
   *
   * @param sourceOid the source published to
   * @param events the batch
   * @return the same batch
   * @throws MalformedEventException naming the first offending event
   */
  public static List<ChangeEvent> validate(long sourceOid, List<ChangeEvent> events) {
    ChangeEvent.checkOid(sourceOid);
    if (events == null) {
      throw new MalformedEventException("events to publish must not be null");
    }
    Lsn previous = null;
    for (int i = 0; i < events.size(); i++) {
      ChangeEvent event = events.get(i);
      if (event == null) {
        throw new MalformedEventException("event " + i + " of the batch is null");
      }
      if (event.sourceOid() != sourceOid) {
        throw new MalformedEventException(
            "event "
                + i
                + " (lsn "
                + event.lsn()
                + ") has source_oid "
                + event.sourceOid()
                + " but is published to source "
                + sourceOid);
      }
      if (previous != null && !event.lsn().isAfter(previous)) {
        throw new MalformedEventException(
            "event "
                + i
                + " has lsn "
                + event.lsn()
                + ", not above the previous event's "
                + previous
                + ": LSNs of a source must strictly increase");
      }
      previous = event.lsn();
    }
    return events;
  }
}
