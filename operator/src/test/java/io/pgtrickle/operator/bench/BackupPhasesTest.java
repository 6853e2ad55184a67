package io.pgtrickle.operator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackupPhasesTest {

  /** pgBackRest 2.55.1's console log of a full backup at detail level (lines shortened). */
  private static final String LOG =
      """
      2026-12-01 07:52:32.283 P00   INFO: backup command begin 2.55.1: --compress-level=1
      2026-12-01 07:52:32.304 P00   INFO: execute non-exclusive backup start: backup begins after the requested immediate checkpoint completes
      2026-12-01 07:52:32.333 P00   INFO: backup start archive = 0000000100000000000000E2, lsn = 0/E2000028
      2026-12-01 07:52:32.333 P00   INFO: check archive for prior segment 0000000100000000000000E1
      2026-12-01 07:52:34.535 P01 DETAIL: backup file /pgdata/base/5/16419 (134.7MB, 12.23%) checksum 286b
      2026-12-01 07:52:53.273 P02 DETAIL: backup file /pgdata/base/1/13394 (0B, 100.00%)
      2026-12-01 07:52:53.293 P00   INFO: execute non-exclusive backup stop and wait for all WAL segments to archive
      2026-12-01 07:52:53.298 P00   INFO: backup stop archive = 0000000100000000000000E2, lsn = 0/E2000138
      2026-12-01 07:52:53.304 P00   INFO: check archive for segment(s) 0000000100000000000000E2:0000000100000000000000E2
      2026-12-01 07:52:53.619 P00   INFO: new backup label = 20261201-075232F
      2026-12-01 07:52:53.669 P00   INFO: backup command end: completed successfully (21389ms)
      2026-12-01 07:52:53.669 P00   INFO: expire command begin 2.55.1: --config=/etc/pgbackrest
      2026-12-01 07:52:53.690 P00   INFO: expire command end: completed successfully (21ms)
      """;

  @Test
  void splitsABackupIntoItsPhases() {
    BackupPhases p = BackupPhases.parse(LOG);
    assertThat(p.start()).isEqualTo(0.050);
    assertThat(p.copy()).isEqualTo(20.960);
    assertThat(p.stop()).isEqualTo(0.326);
    assertThat(p.finish()).isEqualTo(0.050);
    assertThat(p.expire()).isEqualTo(0.021);
    assertThat(p.total()).isEqualTo(21.407);
    assertThat(p.files()).isEqualTo(2);
    assertThat(p.describe(22.0))
        .isEqualTo(
            "start 0.05 s, copy 20.96 s (2 files), stop + archive wait 0.33 s, manifest 0.05 s,"
                + " expire 0.02 s; pgBackRest 21.41 s, outside it 0.59 s");
  }

  @Test
  void withoutExpireOrMarkersThePhasesAreMissing() {
    String noExpire =
        LOG.lines().filter(l -> !l.contains("expire")).reduce("", (a, b) -> a + b + "\n");
    BackupPhases p = BackupPhases.parse(noExpire);
    assertThat(p.expire()).isEqualTo(-1);
    assertThat(p.total()).isEqualTo(21.386);
    assertThat(p.describe(21.386)).contains("no expire");
    assertThat(BackupPhases.parse("P00 ERROR: [056]: unable to find primary cluster").total())
        .isEqualTo(-1);
  }
}
