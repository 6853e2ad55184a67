package io.pgtrickle.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupJobPodsTest {

  @Test
  void theTerminationMessageIsTheLogsLast80LinesAtMost2048Bytes(@TempDir Path dir)
      throws Exception {
    Path log = dir.resolve("job.log");
    assertThat(BackupJobPods.terminationMessage(log)).isNull();
    Files.writeString(
        log,
        IntStream.rangeClosed(1, 100).mapToObj(i -> "line " + i).collect(Collectors.joining("\n")));
    String message = BackupJobPods.terminationMessage(log);
    assertThat(message).startsWith("line 21\n").endsWith("line 100");
    Files.writeString(log, "x".repeat(5000) + "\nERROR: [039]: the end\n");
    message = BackupJobPods.terminationMessage(log);
    assertThat(message.getBytes(StandardCharsets.UTF_8)).hasSize(2048);
    assertThat(message).endsWith("ERROR: [039]: the end");
  }
}
