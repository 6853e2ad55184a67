package io.pgtrickle.operator.storage;

import java.time.Duration;
import java.util.Map;

/**
 * When the data volumes are measured again: at the configured interval while they have room and
 * hold still, sooner while one is low or filling. Pure.
 *
 * <p>A bulk load fills a volume in minutes (a user trial grew a 1 GiB volume from 30% to full
 * between two measurements a minute apart), so the interval shrinks with the time left:
 *
 * <ul>
 *   <li>a member below the next level's threshold ({@link VolumeSpace.Level#LOW} or {@link
 *       VolumeSpace.Level#FULL}) is measured again after a quarter of the interval;
 *   <li>a member whose free space fell since its previous reading is measured again after half the
 *       time it would take, at the same rate, to cross its next threshold ({@code LOW} when it has
 *       room, {@code FULL} when it is low), so the condition changes within about half that time of
 *       the crossing;
 * </ul>
 *
 * never sooner than {@link #FLOOR} (each measurement is an exec into every member) nor later than
 * the interval.
 */
public final class VolumeSpaceCadence {

  /** The shortest wait between two measurements of one cluster. */
  public static final Duration FLOOR = Duration.ofSeconds(10);

  private VolumeSpaceCadence() {}

  /**
   * The wait until the next measurement.
   *
   * @param before each member's previous measurement by member name (empty on the first)
   * @param now each member's measurement of this round by member name; members that could not be
   *     measured this round carry their previous reading and time, and so show no change
   * @param every the configured interval
   * @return between {@code min(FLOOR, every)} and {@code every}
   */
  public static Duration next(
      Map<String, VolumeSpaceCondition.Member> before,
      Map<String, VolumeSpaceCondition.Member> now,
      Duration every) {
    Duration floor = FLOOR.compareTo(every) < 0 ? FLOOR : every;
    Duration wait = every;
    for (VolumeSpaceCondition.Member member : now.values()) {
      if (member.reading() == null) {
        continue;
      }
      if (VolumeSpace.level(member.reading()) != VolumeSpace.Level.SUFFICIENT) {
        wait = shorter(wait, every.dividedBy(4));
      }
      VolumeSpaceCondition.Member previous = before.get(member.name());
      if (previous != null && previous.reading() != null) {
        Duration filling = untilNextLevel(previous, member);
        if (filling != null) {
          wait = shorter(wait, filling.dividedBy(2));
        }
      }
    }
    return wait.compareTo(floor) < 0 ? floor : wait;
  }

  /**
   * How long until {@code now}'s volume crosses its next threshold at the rate its free space fell
   * since {@code previous}; null when it did not fall (or no time passed, or it is full already).
   */
  static Duration untilNextLevel(
      VolumeSpaceCondition.Member previous, VolumeSpaceCondition.Member now) {
    long millis = Duration.between(previous.measuredAt(), now.measuredAt()).toMillis();
    long fell = previous.reading().available() - now.reading().available();
    if (millis <= 0 || fell <= 0) {
      return null;
    }
    long capacity = now.reading().capacity();
    long threshold =
        switch (VolumeSpace.level(now.reading())) {
          case SUFFICIENT -> VolumeSpace.lowBelow(capacity);
          case LOW -> VolumeSpace.fullBelow(capacity);
          case FULL -> -1;
        };
    if (threshold < 0) {
      return null;
    }
    double bytesPerMilli = (double) fell / millis;
    long left = Math.max(0, now.reading().available() - threshold);
    return Duration.ofMillis((long) Math.min(Long.MAX_VALUE / 2, left / bytesPerMilli));
  }

  private static Duration shorter(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
