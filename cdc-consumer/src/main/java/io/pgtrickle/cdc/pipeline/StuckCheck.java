package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.slot.SlotStatus;
import io.pgtrickle.changelog.Lsn;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Decides, from successive readings of the slot, whether the consumer is stuck: the source has WAL
 * for the slot, and for longer than the stuck timeout the slot's confirmed position has not moved
 * and the pipeline has published nothing. Pure apart from its memory of the last reading, so it is
 * unit tested with made-up clocks.
 *
 * <p>"Has WAL for the slot": the server's position is past the slot's confirmed one, and the server
 * is not simply waiting on itself, which it is when our own walsender has sent nothing past what we
 * confirmed (it is still decoding; a keepalive follows once it read further). While the session
 * holds nothing unpublished, our walsender's sent position moving counts as progress too: it is
 * reading WAL for us (say a transaction of millions of rows it decodes before sending anything,
 * with keepalives rare or off). While the session holds unpublished changes, only the pipeline's
 * own progress counts: the walsender reads unrelated WAL whether or not the pipeline moves. A
 * change log refusing publishes, or a source refusing the consumer (a revoked privilege), is not
 * "stuck": the consumer knows why it waits, says so on {@code /readyz}, and a restart would not
 * help.
 */
final class StuckCheck {

  private final long stuckAfterNanos;
  private Lsn lastConfirmed;
  private Lsn lastSent;
  private long lastMoveNanos;

  /**
   * @param stuckAfter how long without progress counts as stuck
   * @param nowNanos the clock now ({@link System#nanoTime()})
   */
  StuckCheck(Duration stuckAfter, long nowNanos) {
    this.stuckAfterNanos = stuckAfter.toNanos();
    this.lastMoveNanos = nowNanos;
  }

  /**
   * Takes one reading.
   *
   * @param nowNanos the clock now
   * @param slot the slot as the server reports it
   * @param walsenderPid our session's walsender pid, or 0 if not streaming
   * @param pipelineProgressNanos when the pipeline last published or confirmed
   * @param holding whether the session holds changes not yet acknowledged by the change log
   * @param publishFailing whether the change log is refusing publishes, or the source refuses the
   *     consumer ({@link ConsumerState#refused()}): a wait with a known cause
   * @return why the consumer is stuck, or {@code null} if it is not
   */
  String observe(
      long nowNanos,
      SlotStatus slot,
      int walsenderPid,
      long pipelineProgressNanos,
      boolean holding,
      boolean publishFailing) {
    if (!slot.exists() || slot.confirmed() == null) {
      lastMoveNanos = nowNanos;
      return null;
    }
    Lsn confirmed = slot.confirmed();
    boolean ours = walsenderPid != 0 && slot.activePid() == walsenderPid && slot.sent() != null;
    Lsn sent = ours ? slot.sent() : null;
    if (lastConfirmed == null
        || confirmed.isAfter(lastConfirmed)
        || (!holding && sent != null && lastSent != null && sent.isAfter(lastSent))) {
      lastMoveNanos = nowNanos;
    }
    lastConfirmed = confirmed;
    lastSent = sent;
    long moved = Math.max(lastMoveNanos, pipelineProgressNanos);
    boolean serverAhead = slot.server().isAfter(confirmed);
    boolean ourWalsenderCaughtUp = sent != null && !sent.isAfter(confirmed);
    if (!serverAhead || ourWalsenderCaughtUp || publishFailing) {
      lastMoveNanos = nowNanos;
      return null;
    }
    long still = nowNanos - moved;
    if (still <= stuckAfterNanos) {
      return null;
    }
    return "stuck: the slot's confirmed position "
        + confirmed
        + " has not moved for "
        + TimeUnit.NANOSECONDS.toSeconds(still)
        + " s while the source is at "
        + slot.server()
        + (slot.activePid() == 0
            ? " and no walsender streams from the slot"
            : " (walsender " + slot.activePid() + " sent up to " + slot.sent() + ")");
  }
}
