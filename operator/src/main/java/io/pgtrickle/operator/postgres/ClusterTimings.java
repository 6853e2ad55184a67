package io.pgtrickle.operator.postgres;

import io.pgtrickle.operator.postgres.failover.StuckWatch;
import io.pgtrickle.operator.postgres.rollout.RolloutStall;
import io.pgtrickle.operator.storage.FileSystemResize;
import io.pgtrickle.operator.storage.VolumeSpaceProbe;
import java.time.Duration;

/**
 * How long the PostgresCluster reconciler waits for things that send it no event. The operator runs
 * with {@link #DEFAULT}; the test bed's operators wait less.
 *
 * @param archivingCheck how often the archiver ({@code pg_stat_archiver}) is read
 * @param rolloutBound how long a member on a new template may stay not ready before the rollout is
 *     reported stalled ({@link RolloutStall})
 * @param fileSystemResizeGrace how long a grown volume's file system may wait for the kubelet to
 *     grow it online before its member is restarted ({@link FileSystemResize}); at least a second
 * @param stuckReplicaGrace how long a replica may stay behind the primary, neither streaming nor
 *     moving, before Patroni clones it again ({@link StuckWatch})
 * @param volumeSpaceCheck how often the members' data volumes are measured ({@link
 *     VolumeSpaceProbe}); each measurement is an exec or two into every member
 * @throws IllegalArgumentException for a grace under a second
 */
public record ClusterTimings(
    Duration archivingCheck,
    Duration rolloutBound,
    Duration fileSystemResizeGrace,
    Duration stuckReplicaGrace,
    Duration volumeSpaceCheck) {

  /** Checks the grace: under a second, a restarted member could be restarted again. */
  public ClusterTimings {
    if (fileSystemResizeGrace.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(
          "fileSystemResizeGrace must be at least 1s, was " + fileSystemResizeGrace);
    }
  }

  /**
   * How often the operator measures the volumes: a volume filling at 10 MiB/s (a bulk load) takes
   * 15 minutes through the last 15% of a 60 GiB volume, so a minute leaves time to react, while a
   * measurement (an exec of {@code df}, and {@code du} for a directory volume) every minute costs
   * the members next to nothing.
   */
  public static final Duration VOLUME_SPACE_CHECK = Duration.ofSeconds(60);

  /** The operator's: see each constant. */
  public static final ClusterTimings DEFAULT =
      new ClusterTimings(
          PostgresClusterReconciler.ARCHIVING_CHECK,
          RolloutStall.DEFAULT_BOUND,
          FileSystemResize.DEFAULT_GRACE,
          StuckWatch.DEFAULT_GRACE,
          VOLUME_SPACE_CHECK);
}
