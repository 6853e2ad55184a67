package io.pgtrickle.operator.postgres.failover;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The PostgresCluster condition {@code ReplicasStreaming}: True while every member other than the
 * primary streams from it, False (reason {@code ReplicaNotStreaming}) once one has not for {@link
 * StreamingWatch#GRACE}, naming each such replica, its replication state and both WAL positions;
 * reason {@code ReplicaReinitializing} while a replica the operator had Patroni clone again (a
 * {@link StuckReplica}) has not streamed since. Unknown (reason {@code NoRunningPrimary}) while
 * there is no running primary. It does not change the phase: the members are up and the primary
 * takes writes; what is lost is redundancy and the freshness of reads from that replica.
 */
public final class ReplicasStreaming {

  public static final String TYPE = "ReplicasStreaming";
  public static final String STREAMING = "AllReplicasStreaming";
  public static final String NOT_STREAMING = "ReplicaNotStreaming";
  public static final String REINITIALIZING = "ReplicaReinitializing";

  private ReplicasStreaming() {}

  /** The reason while no running primary is seen. */
  public static final String NO_PRIMARY = "NoRunningPrimary";

  /**
   * {@code current} with the condition Unknown while there is no running primary to stream from
   * (Patroni electing one, the primary restarting), when it was True. Before, it kept "Every
   * replica streams from the primary X" while X was down. A False one stays False (nothing streams
   * without a primary either), so its recovery is still announced once replicas stream again.
   */
  public static List<Condition> withoutPrimary(
      List<Condition> current, long generation, Instant now) {
    if (!Conditions.isTrue(current, TYPE)) {
      return current;
    }
    return Conditions.unknown(
        current,
        TYPE,
        NO_PRIMARY,
        "No running primary to stream from: Patroni is electing one, or the primary restarts",
        generation,
        now);
  }

  /** {@code current} with the condition set from the replicas past the grace period. */
  public static List<Condition> with(
      List<Condition> current,
      String primary,
      List<StreamingWatch.Lasting> lasting,
      long generation,
      Instant now) {
    return with(current, primary, lasting, Optional.empty(), generation, now);
  }

  /**
   * The same, with what the operator is doing about a replica that does not stream ({@code
   * reinitialising}: the message of its Event), which the condition shows until it streams.
   */
  public static List<Condition> with(
      List<Condition> current,
      String primary,
      List<StreamingWatch.Lasting> lasting,
      Optional<String> reinitialising,
      long generation,
      Instant now) {
    if (reinitialising.isPresent()) {
      return Conditions.with(
          current, TYPE, false, REINITIALIZING, reinitialising.get(), generation, now);
    }
    if (lasting.isEmpty()) {
      return Conditions.with(
          current,
          TYPE,
          true,
          STREAMING,
          "Every replica streams from the primary " + primary,
          generation,
          now);
    }
    return Conditions.with(
        current,
        TYPE,
        false,
        NOT_STREAMING,
        lasting.stream().map(l -> l.replica().describe()).collect(Collectors.joining("; ")),
        generation,
        now);
  }
}
