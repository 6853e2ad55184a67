package io.pgtrickle.operator.backup.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup Job's script run by {@code sh} as the container runs it, with a stand-in {@code
 * pgbackrest} on the PATH that records its arguments and plays a TLS server that answers a ping
 * only after some failures, or never (and a {@code sleep} that pauses 0.1 s for the script's 2 s).
 */
class BackupScriptTest {

  /** The stand-in: each ping takes PING_SECONDS and fails until the FAILS-th for that host. */
  private static final String STUB =
      """
      #!/bin/sh
      echo "$*" >> "$STUB_DIR/calls"
      if [ "$1" = server-ping ]; then
        n=$(cat "$STUB_DIR/pings-$2" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$STUB_DIR/pings-$2"
        /bin/sleep "$PING_SECONDS"
        if [ "$n" -gt "$FAILS" ]; then exit 0; fi
        echo "P00  ERROR: [049]: unable to connect to '$2:8432': [111] Connection refused"
        exit 49
      fi
      exit 0
      """;

  private record Run(int exit, String output, List<String> calls, double seconds) {}

  @TempDir Path dir;

  private Run run(String script, String servers, int fails, double pingSeconds)
      throws IOException, InterruptedException {
    Path stub = dir.resolve("pgbackrest");
    Files.writeString(stub, STUB);
    Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path sleep = dir.resolve("sleep");
    Files.writeString(sleep, "#!/bin/sh\nexec /bin/sleep 0.1\n");
    Files.setPosixFilePermissions(sleep, PosixFilePermissions.fromString("rwxr-xr-x"));
    ProcessBuilder builder =
        new ProcessBuilder("sh", "-c", script, "pgbackrest-backup", "--type=full")
            .redirectErrorStream(true);
    builder.environment().put("PATH", dir + ":/usr/bin:/bin");
    builder.environment().put("STUB_DIR", dir.toString());
    builder.environment().put("FAILS", Integer.toString(fails));
    builder.environment().put("PING_SECONDS", Double.toString(pingSeconds));
    builder.environment().put(BackupScript.SERVERS_ENV, servers);
    long start = System.nanoTime();
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    double seconds = (System.nanoTime() - start) / 1e9;
    Path calls = dir.resolve("calls");
    return new Run(
        p.exitValue(), out, Files.exists(calls) ? Files.readAllLines(calls) : List.of(), seconds);
  }

  @Test
  void everyPingHasAShortIoTimeoutAndTheBackupFollowsOnceBothServersAnswer() throws Exception {
    Run run = run(BackupScript.TEXT, "a.svc b.svc", 2, 0);

    assertThat(run.exit()).isZero();
    assertThat(run.output()).doesNotContain("did not answer");
    assertThat(run.calls())
        .containsExactly(
            "server-ping a.svc --tls-server-port=8432 --io-timeout=2",
            "server-ping a.svc --tls-server-port=8432 --io-timeout=2",
            "server-ping a.svc --tls-server-port=8432 --io-timeout=2",
            "server-ping b.svc --tls-server-port=8432 --io-timeout=2",
            "server-ping b.svc --tls-server-port=8432 --io-timeout=2",
            "server-ping b.svc --tls-server-port=8432 --io-timeout=2",
            "--stanza=db stanza-create",
            "--stanza=db backup --type=full");
  }

  @Test
  void aServerThatNeverAnswersIsNamedAndTheWaitEndsOnTime() throws Exception {
    // Pings that each take 1 s and always fail, a wait of 3 s: the first server's pings stop at
    // the deadline, the second gets one ping, then the backup goes on and pgBackRest says why.
    Run run = run(BackupScript.text(3), "dead.svc other.svc", Integer.MAX_VALUE, 1);

    assertThat(run.output())
        .contains(
            "pgBackRest TLS server dead.svc did not answer within 3 s: P00  ERROR: [049]:"
                + " unable to connect to 'dead.svc:8432'")
        .contains("pgBackRest TLS server other.svc did not answer within 3 s");
    assertThat(run.calls().stream().filter(c -> c.startsWith("server-ping other.svc"))).hasSize(1);
    assertThat(run.calls()).endsWith("--stanza=db stanza-create", "--stanza=db backup --type=full");
    // 3 s of waiting and one more ping of 1 s: the pings no longer decide how long it takes.
    assertThat(run.seconds()).isBetween(3.0, 6.0);
  }
}
