package io.pgtrickle.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DiskFiguresTest {

  private static final long KIB = 1024;
  private static final long MIB = 1024 * KIB;
  private static final long GIB = 1024 * MIB;

  @Test
  void readsDfsPosixOutputInKibibytes() {
    String gnu =
        "Filesystem     1024-blocks    Used Available Capacity Mounted on\n"
            + "/dev/nvme1n1      1011148  842180    152584      85% /var/lib/postgresql/data\n";
    assertThat(DiskFigures.parseDf(gnu))
        .contains(new DiskFigures.FileSystem(1011148 * KIB, 842180 * KIB, 152584 * KIB));
    // A long device name stays on one line with -P; busybox prints the same columns.
    String busybox =
        "Filesystem           1024-blocks      Used Available Capacity Mounted on\n"
            + "/dev/disk/by-id/scsi-0DO_Volume_pvc-0123456789abcdef 10255636 36 9715212  0%"
            + " /var/lib/postgresql/data\n";
    assertThat(DiskFigures.parseDf(busybox).orElseThrow().size()).isEqualTo(10255636 * KIB);
  }

  @Test
  void dfOutputWithoutFiguresIsNoReading() {
    assertThat(DiskFigures.parseDf("df: /var/lib/postgresql/data: No such file or directory\n"))
        .isEmpty();
    assertThat(DiskFigures.parseDf("Filesystem 1024-blocks Used Available Capacity Mounted on\n"))
        .isEmpty();
    assertThat(DiskFigures.parseDf("")).isEmpty();
    assertThat(DiskFigures.parseDf(null)).isEmpty();
  }

  @Test
  void readsDusTotalAfterItsComplaints() {
    assertThat(DiskFigures.parseDu("262144\t/var/lib/postgresql/data\n")).contains(256 * MIB);
    assertThat(
            DiskFigures.parseDu(
                "du: cannot read directory '/var/lib/postgresql/data/lost+found': Permission"
                    + " denied\n"
                    + "40964\t/var/lib/postgresql/data\n"))
        .contains(40964 * KIB);
    assertThat(DiskFigures.parseDu("du: cannot access 'x': No such file or directory")).isEmpty();
    assertThat(DiskFigures.parseDu("")).isEmpty();
  }

  @Test
  void aFileSystemFarLargerThanTheClaimIsAHostDirectory() {
    long claim = 10 * GIB;
    assertThat(DiskFigures.shared(fs(500 * GIB, 0, 0), claim)).isTrue();
    assertThat(DiskFigures.shared(fs(15 * GIB + 1, 0, 0), claim)).isTrue();
    // The volume's own: smaller by the file system's overhead, or rounded up by the driver.
    assertThat(DiskFigures.shared(fs(9_800 * MIB, 0, 0), claim)).isFalse();
    assertThat(DiskFigures.shared(fs(15 * GIB, 0, 0), claim)).isFalse();
    // Without the claim's capacity df is all there is.
    assertThat(DiskFigures.shared(fs(500 * GIB, 0, 0), 0)).isFalse();
  }

  @Test
  void aDedicatedFileSystemIsWhatDfSaysWithoutRootsReservedBlocks() {
    VolumeSpace.Reading r =
        DiskFigures.dedicated("db-0", fs(1011148 * KIB, 842180 * KIB, 117000 * KIB));
    assertThat(r)
        .isEqualTo(
            new VolumeSpace.Reading(
                "db-0", 842180 * KIB, (842180 + 117000) * KIB, 117000 * KIB, false));
  }

  @Test
  void aHostDirectoryIsItsUsageAgainstTheClaimAndTheFileSystemsFreeSpace() {
    // The trial's case: plenty on the node, the claim almost used up.
    assertThat(DiskFigures.directory("db-0", fs(500 * GIB, 100 * GIB, 400 * GIB), 900 * MIB, GIB))
        .isEqualTo(new VolumeSpace.Reading("db-0", 900 * MIB, GIB, 124 * MIB, true));
    // The node's disk fills first: what it has left is all there is.
    assertThat(
            DiskFigures.directory("db-0", fs(500 * GIB, 500 * GIB - 50 * MIB, 50 * MIB), 0, GIB)
                .available())
        .isEqualTo(50 * MIB);
    // A directory past its claim (nothing enforces the size): nothing free, never negative.
    assertThat(
            DiskFigures.directory("db-0", fs(500 * GIB, 0, 400 * GIB), GIB + MIB, GIB).available())
        .isZero();
  }

  private static DiskFigures.FileSystem fs(long size, long used, long available) {
    return new DiskFigures.FileSystem(size, used, available);
  }
}
