package io.pgtrickle.operator.streams.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.streams.db.CatalogObservation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The status of a StreamTableCluster from what one reconcile observed: phase, conditions (Ready,
 * Progressing, Degraded, ChangeLogReady, AutoscalingActive, MonitoringReady, StreamTablesHealthy)
 * and the figures the printer columns show; why pods do not come up ({@link
 * io.pgtrickle.operator.status.PodBlocker}) becomes the reason and is added to the message. Pure:
 * the same observation gives the same status, byte for byte, so it is patched only when something
 * changed.
 */
public final class PipelineStatusCalculator {

  public static final String READY = "Ready";
  public static final String PROGRESSING = "Progressing";
  public static final String DEGRADED = "Degraded";
  public static final String CHANGE_LOG_READY = "ChangeLogReady";
  public static final String AUTOSCALING_ACTIVE = "AutoscalingActive";
  public static final String MONITORING_READY = "MonitoringReady";
  public static final String STREAM_TABLES_HEALTHY = "StreamTablesHealthy";

  /** The phase reason when the change log cannot be opened for now. */
  public static final String CHANGE_LOG_UNAVAILABLE = "ChangeLogUnavailable";

  /** The phase reason when the change-log backend refused a setting of the spec. */
  public static final String CHANGE_LOG_SETTING_REFUSED = "ChangeLogSettingRefused";

  private PipelineStatusCalculator() {}

  public static StreamTableClusterStatus calculate(
      StreamTableCluster stc, ObservedPipeline o, Instant now) {
    StreamTableClusterStatus previous = stc.getStatus();
    long generation =
        stc.getMetadata().getGeneration() == null ? 0 : stc.getMetadata().getGeneration();
    StreamTableClusterStatus s = new StreamTableClusterStatus();
    s.setObservedGeneration(generation);
    s.setWorkers(o.workersReady() + "/" + o.workersDesired());
    s.setReadyWorkers(o.workersReady());
    s.setDesiredWorkers(o.workersDesired());
    s.setCdcConsumers(o.cdcReady() + "/" + o.cdcDesired());
    s.setSlotOrdinals(o.slotOrdinals());
    s.setCreatedSlots(
        CreatedSlots.next(
            stc.getMetadata().getName(),
            o.cdcDesired(),
            previous == null ? null : previous.getCreatedSlots(),
            o.catalog() == null ? null : o.catalog().slots()));
    s.setChangeLog(o.changeLogMessage());
    if (o.catalog() != null) {
      s.setStreamTables(o.catalog().streamTables());
      s.setWorstFreshnessLagMs(o.catalog().worstFreshnessLagMs());
      s.setWorstFreshnessTable(o.catalog().worstFreshnessTable());
      s.setCdcLagBytes(o.catalog().maxSlotLagBytes());
      s.setCdcLag(
          o.catalog().maxSlotLagBytes() == null ? null : bytes(o.catalog().maxSlotLagBytes()));
      s.setIngestLagBytes(o.catalog().maxIngestLagBytes());
      s.setIngestLag(
          o.catalog().maxIngestLagBytes() == null ? null : bytes(o.catalog().maxIngestLagBytes()));
      s.setStreamTablesInError(o.catalog().streamTablesInError());
    } else if (previous != null) {
      // The database did not answer this time: keep the last figures rather than blank them.
      s.setStreamTables(previous.getStreamTables());
      s.setWorstFreshnessLagMs(previous.getWorstFreshnessLagMs());
      s.setWorstFreshnessTable(previous.getWorstFreshnessTable());
      s.setCdcLagBytes(previous.getCdcLagBytes());
      s.setCdcLag(previous.getCdcLag());
      s.setIngestLagBytes(previous.getIngestLagBytes());
      s.setIngestLag(previous.getIngestLag());
      s.setStreamTablesInError(previous.getStreamTablesInError());
    }

    StreamTableClusterPhase before = previous == null ? null : previous.getPhase();
    boolean cdcUp = o.cdcExists() && o.cdcDesired() > 0 && o.cdcReady() >= o.cdcDesired();
    boolean workersUp =
        o.workersExist() && o.workersDesired() > 0 && o.workersReady() >= o.workersDesired();
    StreamTableClusterPhase phase;
    String reason;
    String message;
    if (o.problemReason() != null) {
      phase =
          o.problemNeedsUser()
              ? StreamTableClusterPhase.Failed
              : wasUp(before) ? StreamTableClusterPhase.Degraded : StreamTableClusterPhase.Pending;
      reason = o.problemReason();
      message = o.problemMessage();
    } else if (!o.changeLogReady() && !o.cdcExists()) {
      // A setting the backend refuses stays refused until the user changes it: Failed, not a wait.
      phase =
          o.changeLogSettingRefused()
              ? StreamTableClusterPhase.Failed
              : StreamTableClusterPhase.Pending;
      reason = o.changeLogSettingRefused() ? CHANGE_LOG_SETTING_REFUSED : "ChangeLogNotReady";
      message =
          (o.changeLogSettingRefused()
                  ? "the change log cannot be made as spec.nats or spec.kafka asks, so the CDC"
                      + " consumers do not start; change the setting: "
                  : "waiting for the change log before starting the CDC consumers: ")
              + o.changeLogMessage();
    } else if (o.changeLogReady() && cdcUp && workersUp) {
      phase = StreamTableClusterPhase.Running;
      reason = "PipelineReady";
      message =
          o.cdcReady()
              + " CDC consumer(s) and "
              + o.workersReady()
              + " worker(s) ready, change log "
              + o.changeLogMessage();
    } else {
      phase = wasUp(before) ? StreamTableClusterPhase.Degraded : StreamTableClusterPhase.Creating;
      reason =
          !o.changeLogReady() ? changeLogReason(o) : !cdcUp ? "CdcNotReady" : "WorkersNotReady";
      message =
          (!o.changeLogReady() ? "change log not ready: " + o.changeLogMessage() + "; " : "")
              + "CDC consumers ready "
              + o.cdcReady()
              + "/"
              + o.cdcDesired()
              + ", workers ready "
              + o.workersReady()
              + "/"
              + o.workersDesired();
    }
    List<String> blocked = blocked(o);
    if (o.problemReason() == null && !blocked.isEmpty()) {
      // The pods say why they are not ready: their reason replaces "not ready", and a pod that
      // cannot start while the others run (a rollout to an image that cannot be pulled, a worker
      // the HPA added that does not fit) makes a Running pipeline Degraded.
      if (phase == StreamTableClusterPhase.Running) {
        phase = StreamTableClusterPhase.Degraded;
      }
      if (o.changeLogReady()) {
        reason = (o.cdcBlockers().isEmpty() ? o.workerBlockers() : o.cdcBlockers()).get(0).reason();
      }
      message = message + ". " + String.join("; ", blocked);
    }
    if (o.problemReason() == null && o.capacity() != null) {
      // Some consumers have no slot or WAL sender while the others can run (a scale-up short of
      // them): the pipeline runs short, Degraded, named by the shortfall, not Failed.
      boolean othersUp =
          o.changeLogReady()
              && o.cdcExists()
              && o.cdcReady() >= o.capacity().runnable()
              && workersUp;
      if (phase == StreamTableClusterPhase.Running || othersUp) {
        phase = StreamTableClusterPhase.Degraded;
      }
      if (o.changeLogReady()) {
        reason = o.capacity().reason();
      }
      message = o.capacity().message() + ". " + message;
    }
    if (o.decommissionFailure() != null && phase == StreamTableClusterPhase.Running) {
      phase = StreamTableClusterPhase.Degraded;
      reason = "DecommissionFailed";
      message = o.decommissionFailure();
    }
    s.setPhase(phase);
    s.setPhaseReason(reason);
    s.setMessage(message);

    List<Condition> c = previous == null ? List.of() : previous.getConditions();
    boolean running = phase == StreamTableClusterPhase.Running;
    c = Conditions.with(c, READY, running, reason, message, generation, now);
    boolean progressing =
        phase == StreamTableClusterPhase.Creating
            || phase == StreamTableClusterPhase.Pending
            || o.decommissioning() != null;
    c =
        Conditions.with(
            c,
            PROGRESSING,
            progressing,
            o.decommissioning() != null ? "Decommissioning" : progressing ? reason : "Stable",
            o.decommissioning() != null
                ? o.decommissioning()
                : progressing ? message : "nothing in progress",
            generation,
            now);
    boolean degraded =
        phase == StreamTableClusterPhase.Degraded || phase == StreamTableClusterPhase.Failed;
    c =
        Conditions.with(
            c,
            DEGRADED,
            degraded,
            degraded ? reason : "AsExpected",
            degraded ? message : "all parts ready or starting",
            generation,
            now);
    c =
        Conditions.with(
            c,
            CHANGE_LOG_READY,
            o.changeLogReady(),
            o.changeLogReady()
                ? Objects.requireNonNullElse(o.changeLogReason(), "Available")
                : o.changeLogReason(),
            o.changeLogMessage(),
            generation,
            now);
    c =
        Conditions.with(
            c,
            AUTOSCALING_ACTIVE,
            o.autoscaling().active(),
            o.autoscaling().reason(),
            o.autoscaling().message(),
            generation,
            now);
    if (o.monitoring() != null) {
      c =
          Conditions.with(
              c,
              MONITORING_READY,
              o.monitoring().ready(),
              o.monitoring().reason(),
              o.monitoring().message(),
              generation,
              now);
    } else {
      c = c.stream().filter(x -> !MONITORING_READY.equals(x.getType())).toList();
    }
    if (o.catalog() != null) {
      // Not part of the phase: the pipeline runs; these tables need their owner (a query that no
      // longer runs, a limit such as temp_file_limit), not the platform.
      c = streamTablesHealthy(c, o.catalog(), generation, now);
    }
    s.setConditions(new ArrayList<>(c));
    return s;
  }

  /**
   * {@code StreamTablesHealthy}: False (reason {@code StreamTablesInError}) while a stream table is
   * in ERROR, naming the first ones and their errors; True otherwise. Left as it was when the
   * database did not answer.
   */
  static List<Condition> streamTablesHealthy(
      List<Condition> c, CatalogObservation catalog, long generation, Instant now) {
    int n = catalog.streamTablesInError();
    if (n == 0) {
      return Conditions.with(
          c,
          STREAM_TABLES_HEALTHY,
          true,
          "NoneInError",
          catalog.streamTables() + " stream table(s), none in ERROR",
          generation,
          now);
    }
    String names = String.join("; ", catalog.inError());
    int rest = n - catalog.inError().size();
    return Conditions.with(
        c,
        STREAM_TABLES_HEALTHY,
        false,
        "StreamTablesInError",
        n
            + " of "
            + catalog.streamTables()
            + " stream table(s) in ERROR, no longer refreshed; fix the cause, then"
            + " pgtrickle.resume_stream_table(name) refreshes it again: "
            + names
            + (rest > 0 ? "; and " + rest + " more" : ""),
        generation,
        now);
  }

  /** Blocked pods shown in a message; the rest are counted. */
  static final int MAX_BLOCKERS_SHOWN = 3;

  /**
   * "cdc pod P: REASON: container C: MESSAGE" for each blocked pod, CDC consumers first, at most
   * {@link #MAX_BLOCKERS_SHOWN} and a count of the rest.
   */
  private static List<String> blocked(ObservedPipeline o) {
    List<String> all = new ArrayList<>();
    o.cdcBlockers().forEach(b -> all.add("cdc pod " + b.describe()));
    o.workerBlockers().forEach(b -> all.add("worker pod " + b.describe()));
    if (all.size() <= MAX_BLOCKERS_SHOWN) {
      return all;
    }
    List<String> shown = new ArrayList<>(all.subList(0, MAX_BLOCKERS_SHOWN));
    shown.add("and " + (all.size() - MAX_BLOCKERS_SHOWN) + " more");
    return shown;
  }

  private static String changeLogReason(ObservedPipeline o) {
    return o.changeLogSettingRefused() ? CHANGE_LOG_SETTING_REFUSED : CHANGE_LOG_UNAVAILABLE;
  }

  private static boolean wasUp(StreamTableClusterPhase before) {
    return before == StreamTableClusterPhase.Running || before == StreamTableClusterPhase.Degraded;
  }

  /** A byte count as kubectl users read it: 0 B, 12 KiB, 3.4 MiB. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return (v >= 10 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v))
        + " "
        + units[i];
  }
}
