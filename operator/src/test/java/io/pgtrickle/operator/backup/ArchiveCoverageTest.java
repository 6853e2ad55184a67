package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ArchiveCoverageTest {

  private static final long SIXTEEN_MB = 16L * 1024 * 1024;

  /** {@code pgbackrest repo-ls --recurse archive/db} as pgBackRest 2.45 printed it here. */
  private static final String REPO_LS =
      """
      15-1
      15-1/0000000100000000
      15-1/0000000100000000/000000010000000000000001-59cdc812c46f24a4ace932bc4a3548fe58228613.gz
      15-1/0000000100000000/000000010000000000000002-c585185431cb4abff33a1254d74cd670ada36fb0.gz
      15-1/0000000100000000/000000010000000000000003-78d0f74d0c6c2b5af33679bfc0d5e9217a7174da.gz
      15-1/0000000100000000/000000010000000000000004.partial-78d0f74d0c6c2b5af33679bfc0d5e9217a7174da.gz
      15-1/00000002.history
      archive.info
      archive.info.copy
      """;

  private static Set<String> segments(String... names) {
    return new TreeSet<>(Set.of(names));
  }

  @Test
  void theArchivesSegmentsAreItsNamesWithoutChecksumsAndPartialsAreLeftOut() {
    assertThat(ArchiveCoverage.archived(REPO_LS))
        .containsExactly(
            "000000010000000000000001",
            "000000010000000000000002",
            "000000010000000000000003",
            "00000002.history");
  }

  @Test
  void anArchiveWithEverySegmentSinceTheBackupLacksNothing() {
    assertThat(
            ArchiveCoverage.missing(
                "000000010000000000000002",
                "000000010000000000000004",
                1,
                "",
                SIXTEEN_MB,
                segments(
                    "000000010000000000000002",
                    "000000010000000000000003",
                    "000000010000000000000004")))
        .isEmpty();
  }

  @Test
  void theOldTimelinesSegmentsAFailoverLeftBehindAreNamed() {
    // The repository was frozen while timeline 1 filled segments 5 and 6; the failover's switch
    // point is in segment 7, where timeline 2 begins (the new primary archived it, and its own).
    String history = "1\t0/7000060\tno recovery target specified\n";
    Set<String> archived =
        segments(
            "000000010000000000000003",
            "000000010000000000000004",
            "000000020000000000000007",
            "000000020000000000000008",
            "00000002.history");
    assertThat(
            ArchiveCoverage.missing(
                "000000010000000000000003",
                "000000020000000000000008",
                2,
                history,
                SIXTEEN_MB,
                archived))
        .contains("WAL 000000010000000000000005 to 000000010000000000000006");
    // Timeline 1's segment 7, archived by the old primary before it crashed, would do as well as
    // timeline 2's (recovery falls back to an older timeline's file).
    archived.remove("000000020000000000000007");
    archived.add("000000010000000000000007");
    archived.add("000000010000000000000005");
    archived.add("000000010000000000000006");
    assertThat(
            ArchiveCoverage.missing(
                "000000010000000000000003",
                "000000020000000000000008",
                2,
                history,
                SIXTEEN_MB,
                archived))
        .isEmpty();
  }

  @Test
  void aMissingHistoryFileIsNamedAsRecoveryStopsLookingThere() {
    // Two failovers during the outage: timeline 2's primary never archived its history file.
    String history = "1\t0/5000060\treason\n\n2\t0/6000028\treason\n";
    Set<String> archived =
        segments(
            "000000010000000000000004",
            "000000020000000000000005",
            "000000030000000000000006",
            "00000003.history");
    assertThat(
            ArchiveCoverage.missing(
                "000000010000000000000004",
                "000000030000000000000006",
                3,
                history,
                SIXTEEN_MB,
                archived))
        .contains("history file 00000002.history");
  }

  @Test
  void segmentsCountAcrossTheHighWordAndOtherSegmentSizes() {
    long sixtyFourMb = 64L * 1024 * 1024; // 64 segments of 64 MB per 4 GB
    assertThat(
            ArchiveCoverage.missing(
                "00000001000000000000003E",
                "000000010000000100000001",
                1,
                "",
                sixtyFourMb,
                segments(
                    "00000001000000000000003E",
                    "00000001000000000000003F",
                    "000000010000000100000001")))
        .contains("WAL 000000010000000100000000");
  }

  @Test
  void nothingIsToldBeforeThePrimaryArchivedOnItsOwnTimelineOrForABackupOffItsHistory() {
    assertThat(
            ArchiveCoverage.missing(
                "000000010000000000000003",
                "000000010000000000000009",
                2,
                "1\t0/7000060\treason\n",
                SIXTEEN_MB,
                segments()))
        .isEmpty();
    assertThat(
            ArchiveCoverage.missing(
                "000000030000000000000003",
                "000000020000000000000009",
                2,
                "1\t0/7000060\treason\n",
                SIXTEEN_MB,
                segments()))
        .isEmpty();
  }

  @Test
  void manyGapsAreCounted() {
    assertThat(
            ArchiveCoverage.missing(
                "000000010000000000000001",
                "000000010000000000000009",
                1,
                "",
                SIXTEEN_MB,
                segments(
                    "000000010000000000000001",
                    "000000010000000000000003",
                    "000000010000000000000005",
                    "000000010000000000000007",
                    "000000010000000000000009")))
        .contains(
            "WAL 000000010000000000000002, WAL 000000010000000000000004,"
                + " WAL 000000010000000000000006 and 1 more");
  }
}
