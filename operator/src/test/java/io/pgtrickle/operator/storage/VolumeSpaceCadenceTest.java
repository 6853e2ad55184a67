package io.pgtrickle.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VolumeSpaceCadenceTest {

  private static final long MIB = 1024 * 1024;
  private static final long GIB = 1024 * MIB;
  private static final Duration MINUTE = Duration.ofSeconds(60);
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");

  @Test
  void theIntervalWhileTheVolumesHaveRoomAndHoldStill() {
    assertThat(VolumeSpaceCadence.next(Map.of(), members(at(0, "db-0", 300 * MIB)), MINUTE))
        .isEqualTo(MINUTE);
    assertThat(
            VolumeSpaceCadence.next(
                members(at(0, "db-0", 300 * MIB)), members(at(60, "db-0", 300 * MIB)), MINUTE))
        .isEqualTo(MINUTE);
    // Space freed: no hurry either.
    assertThat(
            VolumeSpaceCadence.next(
                members(at(0, "db-0", 500 * MIB)), members(at(60, "db-0", 300 * MIB)), MINUTE))
        .isEqualTo(MINUTE);
  }

  @Test
  void aQuarterOfTheIntervalWhileAVolumeIsLowOrFull() {
    // 100 MiB free of 1 GiB: low (under 15%), holding still.
    assertThat(
            VolumeSpaceCadence.next(
                members(at(0, "db-0", 924 * MIB)), members(at(60, "db-0", 924 * MIB)), MINUTE))
        .isEqualTo(Duration.ofSeconds(15));
    assertThat(VolumeSpaceCadence.next(Map.of(), members(at(0, "db-0", 1000 * MIB)), MINUTE))
        .isEqualTo(Duration.ofSeconds(15));
  }

  /** The trial's bulk load: 1 GiB volume, 300 MiB used, 200 MiB more a minute. */
  @Test
  void aFillingVolumeIsMeasuredAgainWithinHalfTheTimeToItsNextThreshold() {
    // Free 724 MiB falls 200 MiB/min; low below 153.6 MiB free: about 171 s away, so 85 s: the
    // interval. From 100 to 600 MiB used (500 MiB/min): 424 MiB free, about 32.4 s from low, so
    // measured again after 16.2 s.
    assertThat(
            VolumeSpaceCadence.next(
                members(at(0, "db-0", 100 * MIB)), members(at(60, "db-0", 300 * MIB)), MINUTE))
        .isEqualTo(MINUTE);
    Duration wait =
        VolumeSpaceCadence.next(
            members(at(0, "db-0", 100 * MIB)), members(at(60, "db-0", 600 * MIB)), MINUTE);
    assertThat(wait).isBetween(Duration.ofSeconds(16), Duration.ofSeconds(17));
    // Low and still filling: half the time to full (3% or 32 MiB free), never under the floor.
    assertThat(
            VolumeSpaceCadence.next(
                members(at(0, "db-0", 880 * MIB)), members(at(60, "db-0", 900 * MIB)), MINUTE))
        .isEqualTo(Duration.ofSeconds(15));
    assertThat(
            VolumeSpaceCadence.next(
                members(at(0, "db-0", 700 * MIB)), members(at(60, "db-0", 900 * MIB)), MINUTE))
        .isBetween(Duration.ofSeconds(13), Duration.ofSeconds(15));
    assertThat(
            VolumeSpaceCadence.next(
                members(at(0, "db-0", 400 * MIB)), members(at(60, "db-0", 900 * MIB)), MINUTE))
        .isEqualTo(VolumeSpaceCadence.FLOOR);
  }

  @Test
  void theFillingMemberDecidesAndOneNotMeasuredShowsNoChange() {
    var before = members(at(0, "db-0", 100 * MIB), at(0, "db-1", 100 * MIB));
    var now = members(at(0, "db-0", 100 * MIB), at(60, "db-1", 600 * MIB));
    assertThat(VolumeSpaceCadence.next(before, now, MINUTE)).isLessThan(Duration.ofSeconds(17));
    var neverMeasured =
        Map.of("db-2", new VolumeSpaceCondition.Member("db-2", null, null, "exec refused"));
    assertThat(VolumeSpaceCadence.next(Map.of(), neverMeasured, MINUTE)).isEqualTo(MINUTE);
  }

  @Test
  void neverSoonerThanTheFloorNorLaterThanTheInterval() {
    Duration testBed = Duration.ofSeconds(5);
    assertThat(
            VolumeSpaceCadence.next(
                members(at(0, "db-0", 100 * MIB)), members(at(1, "db-0", 1000 * MIB)), testBed))
        .isEqualTo(testBed);
    assertThat(VolumeSpaceCadence.next(Map.of(), Map.of(), MINUTE)).isEqualTo(MINUTE);
  }

  @Test
  void timeToTheNextThresholdAtTheRateSeen() {
    // 1 GiB: low below 153.6 MiB free, full below 32.72 MiB (3%) free.
    Duration toLow = VolumeSpaceCadence.untilNextLevel(at(0, "db-0", 0), at(10, "db-0", 100 * MIB));
    // 924 MiB free falling 10 MiB/s: about 77 s to 153.6 MiB free.
    assertThat(toLow).isBetween(Duration.ofSeconds(76), Duration.ofSeconds(78));
    Duration toFull =
        VolumeSpaceCadence.untilNextLevel(at(0, "db-0", 900 * MIB), at(10, "db-0", 950 * MIB));
    // 74 MiB free falling 5 MiB/s: about 8.3 s to 30.72 MiB.
    assertThat(toFull).isBetween(Duration.ofMillis(8200), Duration.ofMillis(8400));
    assertThat(VolumeSpaceCadence.untilNextLevel(at(0, "db-0", 990 * MIB), at(10, "db-0", GIB)))
        .isNull();
    assertThat(VolumeSpaceCadence.untilNextLevel(at(10, "db-0", 0), at(10, "db-0", MIB))).isNull();
  }

  /** A member of a 1 GiB volume with {@code used} bytes used, measured {@code seconds} after T0. */
  private static VolumeSpaceCondition.Member at(long seconds, String member, long used) {
    return VolumeSpaceCondition.Member.measured(
        new VolumeSpace.Reading(member, used, GIB, GIB - used, false), T0.plusSeconds(seconds));
  }

  private static Map<String, VolumeSpaceCondition.Member> members(
      VolumeSpaceCondition.Member... members) {
    var map = new java.util.HashMap<String, VolumeSpaceCondition.Member>();
    for (var m : members) {
      map.put(m.name(), m);
    }
    return map;
  }
}
