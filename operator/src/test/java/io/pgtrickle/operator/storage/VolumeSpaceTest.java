package io.pgtrickle.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VolumeSpaceTest {

  private static final long MIB = 1024 * 1024;
  private static final long GIB = 1024 * MIB;

  @Test
  void lowBelowFifteenPercentFullBelowThreePercentOrTwoWalSegments() {
    long capacity = 100 * GIB;
    assertThat(VolumeSpace.level(free(capacity, capacity * 15 / 100)))
        .isEqualTo(VolumeSpace.Level.SUFFICIENT);
    assertThat(VolumeSpace.level(free(capacity, capacity * 15 / 100 - 1)))
        .isEqualTo(VolumeSpace.Level.LOW);
    assertThat(VolumeSpace.level(free(capacity, capacity * 3 / 100)))
        .isEqualTo(VolumeSpace.Level.LOW);
    assertThat(VolumeSpace.level(free(capacity, capacity * 3 / 100 - 1)))
        .isEqualTo(VolumeSpace.Level.FULL);
    // 168 MiB free of 1 GiB is 16%: still enough; 150 MiB is not.
    assertThat(VolumeSpace.level(free(GIB, 168 * MIB))).isEqualTo(VolumeSpace.Level.SUFFICIENT);
    assertThat(VolumeSpace.level(free(GIB, 150 * MIB))).isEqualTo(VolumeSpace.Level.LOW);
    // A small volume: under two WAL segments free is full whatever the share.
    assertThat(VolumeSpace.level(free(200 * MIB, 31 * MIB))).isEqualTo(VolumeSpace.Level.FULL);
    assertThat(VolumeSpace.level(free(200 * MIB, 32 * MIB)))
        .isEqualTo(VolumeSpace.Level.SUFFICIENT);
    assertThat(VolumeSpace.level(free(GIB, 0))).isEqualTo(VolumeSpace.Level.FULL);
  }

  /** Less free space is never a better level, whatever the capacity. */
  @Test
  void theLevelNeverImprovesAsSpaceGoes() {
    for (long capacity = 16 * MIB; capacity <= 4 * 1024 * GIB; capacity = capacity * 3 / 2) {
      VolumeSpace.Level previous = VolumeSpace.Level.SUFFICIENT;
      for (int i = 1000; i >= 0; i--) {
        VolumeSpace.Level level = VolumeSpace.level(free(capacity, capacity / 1000 * i));
        assertThat(level).as("capacity %d, %d‰ free", capacity, i).isGreaterThanOrEqualTo(previous);
        previous = level;
      }
      assertThat(previous).isEqualTo(VolumeSpace.Level.FULL);
    }
  }

  @Test
  void bytesInBinaryUnits() {
    assertThat(VolumeSpace.human(0)).isEqualTo("0 B");
    assertThat(VolumeSpace.human(1023)).isEqualTo("1023 B");
    assertThat(VolumeSpace.human(512 * 1024)).isEqualTo("512 KiB");
    assertThat(VolumeSpace.human(168 * MIB)).isEqualTo("168 MiB");
    assertThat(VolumeSpace.human(3 * GIB / 2)).isEqualTo("1.5 GiB");
    assertThat(VolumeSpace.human(100 * GIB)).isEqualTo("100 GiB");
    assertThat(VolumeSpace.human(2048 * GIB)).isEqualTo("2.0 TiB");
  }

  @Test
  void shareUsed() {
    assertThat(VolumeSpace.percentUsed(new VolumeSpace.Reading("db-0", 870, 1000, 130, true)))
        .isEqualTo(87);
    assertThat(VolumeSpace.percentUsed(new VolumeSpace.Reading("db-0", 1100, 1000, 0, true)))
        .isEqualTo(100);
  }

  private static VolumeSpace.Reading free(long capacity, long available) {
    return new VolumeSpace.Reading("db-0", capacity - available, capacity, available, false);
  }
}
