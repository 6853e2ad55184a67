package io.pgtrickle.operator.streams.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.status.PodBlocker;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which phase Events one reconcile of a pipeline emits, from the status before and after and what
 * the operator remembers of the pipeline ({@link Memory}). Pure. The status itself always tells the
 * truth at once; the Events are for a person, so they say what lasts:
 *
 * <ul>
 *   <li>A pod's trouble ({@link PodBlocker}: Unschedulable, ImagePullBackOff, CrashLoopBackOff,
 *       ...): one Warning when it appears, not again while it stays. A crash loop is remembered for
 *       {@link PodBlocker#CRASH_LOOP_WINDOW} after it was last seen, so a container that crashes,
 *       runs, is ready for a while and crashes again is one episode, one Warning.
 *   <li>{@code Failed}: a Warning at once (only the user can fix it).
 *   <li>{@code Degraded} for any other reason (DatabaseUnreachable, CdcNotReady, ...): a Warning
 *       only once it has lasted {@link #GRACE} (the {@code Degraded} condition's transition time),
 *       once per episode. A member of the PostgresCluster restarting (rollout, switchover) makes
 *       the database unreachable and the consumers not ready for a few seconds: reported in the
 *       status, no Warning.
 *   <li>{@code Running}: {@code PipelineReady} when the pipeline first runs, and after an episode a
 *       Warning was given for; a short one that ends before {@link #GRACE} ends silently too.
 * </ul>
 */
public final class PipelineEvents {

  /** How long a pipeline is Degraded (for anything but a pod's trouble) before a Warning. */
  public static final Duration GRACE = Duration.ofSeconds(60);

  private PipelineEvents() {}

  /**
   * What the operator remembers of one pipeline between reconciles (lost on a restart: then the
   * status before stands in for it).
   *
   * @param phase the phase last reported, or null when nothing is remembered; a reconcile may read
   *     a status older than the last patch (the cache lags it), so this comes first
   * @param warned whether a Warning was given since the pipeline last ran
   * @param trouble the pod trouble last warned about, or null
   * @param troubleSeen when it was last seen
   */
  public record Memory(
      StreamTableClusterPhase phase, boolean warned, String trouble, Instant troubleSeen) {

    /** Nothing remembered (a new pipeline, or the operator restarted). */
    public static final Memory NONE = new Memory(null, false, null, null);
  }

  /**
   * One Event.
   *
   * @param warning whether it is a Warning (else Normal)
   * @param reason its reason
   * @param message its message
   */
  public record Event(boolean warning, String reason, String message) {}

  /**
   * @param events the Events to emit
   * @param memory what to remember for the next reconcile
   */
  public record Decision(List<Event> events, Memory memory) {}

  /**
   * @param memory what was remembered ({@link Memory#NONE} if nothing)
   * @param previous the status this reconcile read, or null
   * @param next the status it computed
   * @param blocked whether {@code next}'s reason is a pod's trouble
   * @param now the time
   * @return the Events and the memory to keep
   */
  public static Decision decide(
      Memory memory,
      StreamTableClusterStatus previous,
      StreamTableClusterStatus next,
      boolean blocked,
      Instant now) {
    boolean fresh = memory.phase() == null;
    StreamTableClusterPhase before = phaseBefore(memory, previous);
    String reason = next.getPhaseReason();
    boolean warned = warnedBefore(memory, previous, now);
    String trouble = memory.trouble();
    Instant troubleSeen = memory.troubleSeen();
    if (trouble != null) {
      boolean same = blocked && PodBlocker.sameTrouble(trouble, reason);
      boolean keep =
          PodBlocker.CRASH_LOOP.equals(trouble)
              ? (same || !blocked)
                  && troubleSeen != null
                  && !troubleSeen.plus(PodBlocker.CRASH_LOOP_WINDOW).isBefore(now)
              : same;
      if (!keep) {
        trouble = null;
        troubleSeen = null;
      }
    }

    List<Event> events = new ArrayList<>();
    if (blocked) {
      boolean known = PodBlocker.sameTrouble(trouble, reason);
      boolean knownBefore =
          fresh && previous != null && PodBlocker.sameTrouble(previous.getPhaseReason(), reason);
      if (!known && !knownBefore) {
        events.add(new Event(true, reason, next.getMessage()));
        warned = true;
      } else if (knownBefore) {
        warned = true;
      }
      trouble = reason;
      troubleSeen = now;
    }
    switch (next.getPhase()) {
      case Running -> {
        boolean wasUp =
            before == StreamTableClusterPhase.Running || before == StreamTableClusterPhase.Degraded;
        if (before != StreamTableClusterPhase.Running && (!wasUp || warned)) {
          events.add(new Event(false, "PipelineReady", next.getMessage()));
        }
        warned = false;
      }
      case Failed -> {
        if (before != StreamTableClusterPhase.Failed && !blocked) {
          events.add(new Event(true, reason, next.getMessage()));
        }
        warned = true;
      }
      case Degraded -> {
        if (!warned && !blocked && lasted(next, now)) {
          events.add(
              new Event(
                  true,
                  reason,
                  next.getMessage()
                      + " (degraded since "
                      + since(next)
                      + ", more than "
                      + GRACE.toSeconds()
                      + " s)"));
          warned = true;
        }
      }
      default -> {
        // Creating, Pending: progress, not a problem; a pod's trouble was warned about above.
      }
    }
    return new Decision(
        List.copyOf(events), new Memory(next.getPhase(), warned, trouble, troubleSeen));
  }

  /**
   * Whether a Normal {@code ChangeLogReady} is due this reconcile: the {@code ChangeLogReady}
   * condition turns True, and either the pipeline never ran before (its change log opens for the
   * first time) or the episode that closed it was warned about. A change log that was unavailable
   * only while the primary restarted or failed over (told by the status, never by a Warning, see
   * {@link #decide}) comes back silently too: announcing a recovery from trouble nobody was told
   * about reads as news of an outage that was never reported.
   *
   * @param memory what was remembered before this reconcile ({@link Memory#NONE} if nothing)
   * @param previous the status this reconcile read, or null
   * @param next the status it computed
   * @param now the time
   */
  public static boolean changeLogOpened(
      Memory memory,
      StreamTableClusterStatus previous,
      StreamTableClusterStatus next,
      Instant now) {
    Condition after = condition(next, PipelineStatusCalculator.CHANGE_LOG_READY);
    Condition before = condition(previous, PipelineStatusCalculator.CHANGE_LOG_READY);
    if (after == null
        || !"True".equals(after.getStatus())
        || before != null && "True".equals(before.getStatus())) {
      return false;
    }
    StreamTableClusterPhase phase = phaseBefore(memory, previous);
    boolean ranBefore =
        phase == StreamTableClusterPhase.Running || phase == StreamTableClusterPhase.Degraded;
    return !ranBefore || warnedBefore(memory, previous, now);
  }

  /** The phase last reported: remembered, or after a restart the status read. */
  private static StreamTableClusterPhase phaseBefore(
      Memory memory, StreamTableClusterStatus previous) {
    if (memory.phase() != null) {
      return memory.phase();
    }
    return previous == null ? null : previous.getPhase();
  }

  /**
   * Whether a Warning was given since the pipeline last ran: remembered, or after a restart what
   * the status says the operator warned about before.
   */
  private static boolean warnedBefore(
      Memory memory, StreamTableClusterStatus previous, Instant now) {
    if (memory.phase() != null) {
      return memory.warned();
    }
    return previous != null
        && (previous.getPhase() == StreamTableClusterPhase.Failed
            || previous.getPhase() == StreamTableClusterPhase.Degraded && lasted(previous, now));
  }

  /**
   * The stream tables' Events, from the {@code StreamTablesHealthy} condition before and after: a
   * Warning {@code StreamTablesInError} (the condition's message: which tables and why) when it
   * turns False, or stays False with more tables in ERROR than before; a Normal {@code
   * StreamTablesHealthy} when it turns True again. Nothing while the database does not answer (the
   * condition is kept as it was).
   *
   * @param previous the status this reconcile read, or null
   * @param next the status it computed
   * @return the Events, at most one
   */
  public static List<Event> streamTables(
      StreamTableClusterStatus previous, StreamTableClusterStatus next) {
    Condition after = healthy(next);
    if (after == null) {
      return List.of();
    }
    Condition before = healthy(previous);
    boolean wasFalse = before != null && "False".equals(before.getStatus());
    if ("False".equals(after.getStatus())) {
      if (!wasFalse || count(next) > count(previous)) {
        return List.of(new Event(true, "StreamTablesInError", after.getMessage()));
      }
    } else if (wasFalse) {
      return List.of(new Event(false, "StreamTablesHealthy", after.getMessage()));
    }
    return List.of();
  }

  /**
   * The change log's copies' Events, from the {@code ChangeLogReady} condition before and after: a
   * Warning {@code ChangeLogUnderReplicated} (the condition's message: which partitions or streams
   * lack copies) when its reason turns {@code UnderReplicated}, a Normal {@code
   * ChangeLogReplicated} when a ready change log has every copy again. Not ready is told by the
   * phase's Events.
   *
   * @param previous the status this reconcile read, or null
   * @param next the status it computed
   * @return the Events, at most one
   */
  public static List<Event> changeLogCopies(
      StreamTableClusterStatus previous, StreamTableClusterStatus next) {
    Condition after = condition(next, PipelineStatusCalculator.CHANGE_LOG_READY);
    if (after == null || !"True".equals(after.getStatus())) {
      return List.of();
    }
    Condition before = condition(previous, PipelineStatusCalculator.CHANGE_LOG_READY);
    boolean wasShort =
        before != null && ObservedPipeline.CHANGE_LOG_UNDER_REPLICATED.equals(before.getReason());
    boolean isShort = ObservedPipeline.CHANGE_LOG_UNDER_REPLICATED.equals(after.getReason());
    if (isShort && !wasShort) {
      return List.of(new Event(true, "ChangeLogUnderReplicated", after.getMessage()));
    }
    if (!isShort && wasShort) {
      return List.of(
          new Event(false, "ChangeLogReplicated", "Every copy in sync: " + after.getMessage()));
    }
    return List.of();
  }

  private static Condition condition(StreamTableClusterStatus s, String type) {
    if (s == null || s.getConditions() == null) {
      return null;
    }
    return s.getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  private static int count(StreamTableClusterStatus s) {
    return s == null || s.getStreamTablesInError() == null ? 0 : s.getStreamTablesInError();
  }

  private static Condition healthy(StreamTableClusterStatus s) {
    return condition(s, PipelineStatusCalculator.STREAM_TABLES_HEALTHY);
  }

  /** Whether the status's Degraded condition has been True for {@link #GRACE} or longer. */
  private static boolean lasted(StreamTableClusterStatus s, Instant now) {
    Instant since = since(s);
    return since != null && !since.plus(GRACE).isAfter(now);
  }

  private static Instant since(StreamTableClusterStatus s) {
    if (s.getConditions() == null) {
      return null;
    }
    return s.getConditions().stream()
        .filter(c -> PipelineStatusCalculator.DEGRADED.equals(c.getType()))
        .filter(c -> "True".equals(c.getStatus()))
        .map(Condition::getLastTransitionTime)
        .findFirst()
        .map(PipelineEvents::time)
        .orElse(null);
  }

  private static Instant time(String rfc3339) {
    try {
      return rfc3339 == null ? null : Instant.parse(rfc3339);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
