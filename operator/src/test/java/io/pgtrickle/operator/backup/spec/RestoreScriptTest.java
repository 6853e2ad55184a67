package io.pgtrickle.operator.backup.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore.sh bootstrap} run by {@code sh} on a directory standing for the member's volume,
 * with a stand-in {@code pgbackrest} on the PATH: a restore failure belongs to one cluster UID.
 */
class RestoreScriptTest {

  private static final String FIRST = "0b5c7a10-1111-4c2e-9d3a-5e8f00000001";
  private static final String SECOND = "0b5c7a10-2222-4c2e-9d3a-5e8f00000002";

  @TempDir Path dir;

  @Test
  void theFailureFileAndTheScriptNameTheClustersUid() {
    assertThat(RestoreBootstrap.failedFile(FIRST))
        .isEqualTo("/var/lib/postgresql/data/restore-" + FIRST + ".failed");
    assertThat(RestoreBootstrap.script(FIRST))
        .contains("CLUSTER_UID='" + FIRST + "'")
        .doesNotContain(RestoreBootstrap.UID_PLACEHOLDER);
    assertThat(RestoreBootstrap.script(FIRST)).isNotEqualTo(RestoreBootstrap.script(SECOND));
    assertThatThrownBy(() -> RestoreBootstrap.script(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("metadata.uid");
    assertThatThrownBy(() -> RestoreBootstrap.failedFile("x'; rm -rf /"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRestartedMemberReportsItsFailureAndANewClusterOnTheVolumeRestoresAgain() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("volume"));
    Path failed = volume.resolve("restore-" + FIRST + ".failed");

    // The first cluster's restore fails: its reason is kept under its UID, nothing is left.
    assertThat(bootstrap(FIRST, volume, false)).isEqualTo(1);
    assertThat(Files.readString(failed)).contains("pgBackRest restore").contains("no backup");
    assertThat(volume.resolve("pgdata")).doesNotExist();

    // Its member restarts: the same failure, without restoring again.
    Files.writeString(failed, "recovery to targetTime 2020-01-01 failed\n");
    assertThat(bootstrap(FIRST, volume, true)).isEqualTo(1);
    assertThat(Files.readString(failed)).isEqualTo("recovery to targetTime 2020-01-01 failed\n");
    assertThat(dir.resolve("restored")).doesNotExist();

    // The cluster is deleted and created again on the retained volume: a new UID restores
    // (before, the old reason was reported again), and the older failure is gone.
    assertThat(bootstrap(SECOND, volume, true)).isZero();
    assertThat(dir.resolve("restored")).exists();
    assertThat(failed).doesNotExist();
    assertThat(volume.resolve("restore-" + SECOND + ".failed")).doesNotExist();
    assertThat(volume.resolve("pgdata")).isDirectory();
  }

  @Test
  void aTargetTheArchiveDoesNotReachSaysWhyAndWhatToDo() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("volume"));
    // PostgreSQL's replay to the target ends with the archive (the trial: a target 30 s old).
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path postgres = bin.resolve("postgres");
    Files.writeString(
        postgres,
        "#!/bin/sh\necho 'FATAL:  recovery ended before configured recovery target was"
            + " reached'\nexit 1\n");
    assertThat(postgres.toFile().setExecutable(true)).isTrue();

    assertThat(run(FIRST, volume, true, "bootstrap", "2026-12-07 21:21:24+00")).isEqualTo(1);
    assertThat(Files.readString(volume.resolve("restore-" + FIRST + ".failed")))
        .startsWith("recovery to targetTime 2026-12-07 21:21:24+00 failed: FATAL:  recovery ended")
        .contains("the source's archive ends before it: a time in the future, or a recent one")
        .contains("create the cluster again with an earlier targetTime");
  }

  /**
   * Runs the script of {@code uid} with {@code volume} as the member's volume, exit code. Its
   * {@code pgbackrest} succeeds (touching {@code restored}) or fails; a failure exits 1 instead of
   * waiting for the cluster to be deleted.
   */
  private int bootstrap(String uid, Path volume, boolean restores)
      throws IOException, InterruptedException {
    return run(uid, volume, restores, "bootstrap");
  }

  /** As {@link #bootstrap}, with the script's arguments, and {@code bin} as Patroni's bin dir. */
  private int run(String uid, Path volume, boolean restores, String... args)
      throws IOException, InterruptedException {
    String wait = "while :; do sleep 3600; done";
    String script = RestoreBootstrap.script(uid);
    assertThat(script).contains(wait).contains("VOLUME=/var/lib/postgresql/data\n");
    Path file = dir.resolve("restore.sh");
    Files.writeString(
        file,
        script
            .replace(wait, "exit 1")
            .replace("VOLUME=/var/lib/postgresql/data\n", "VOLUME=" + volume + "\n"),
        StandardCharsets.UTF_8);
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path pgbackrest = bin.resolve("pgbackrest");
    Files.writeString(
        pgbackrest,
        restores
            ? "#!/bin/sh\ntouch '" + dir.resolve("restored") + "'\n"
            : "#!/bin/sh\necho 'ERROR: [075]: no backup set found to restore'\nexit 75\n");
    assertThat(pgbackrest.toFile().setExecutable(true)).isTrue();
    List<String> command = new ArrayList<>(List.of("sh", file.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().put("PATRONI_POSTGRESQL_BIN_DIR", bin.toString());
    pb.environment().remove("PGDATA");
    pb.redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile());
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }
}
