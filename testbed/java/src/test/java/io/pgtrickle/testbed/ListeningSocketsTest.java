package io.pgtrickle.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListeningSocketsTest {

  @Test
  void aSocketThisJvmListensOnIsHeldByItAndNotByAnotherProcess() throws Exception {
    Process other = new ProcessBuilder("sleep", "30").start();
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = s.getLocalPort();
      assertThat(ListeningSockets.heldBy(ProcessHandle.current(), port)).isTrue();
      assertThat(ListeningSockets.heldBy(other.toHandle(), port)).isFalse();
      s.close();
      assertThat(ListeningSockets.heldBy(ProcessHandle.current(), port)).isFalse();
    } finally {
      other.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aGrandchildsSocketIsHeldByTheChild() throws Exception {
    // sh -> python3: the listener is a descendant of the process the test started.
    Process shell =
        new ProcessBuilder(
                "sh",
                "-c",
                "python3 -c 'import socket,sys,time; s=socket.socket(); s.bind((\"127.0.0.1\", 0));"
                    + " s.listen(1); print(s.getsockname()[1], flush=True); time.sleep(30)'; :")
            .redirectErrorStream(true)
            .start();
    Process other = new ProcessBuilder("sleep", "30").start();
    try {
      String line =
          new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      int port = Integer.parseInt(line.trim());
      assertThat(ListeningSockets.heldBy(shell.toHandle(), port)).isTrue();
      assertThat(ListeningSockets.heldBy(other.toHandle(), port)).isFalse();
    } finally {
      shell.descendants().forEach(ProcessHandle::destroyForcibly);
      shell.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      other.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void onlyListeningEntriesOfThePortCount(@TempDir Path dir) throws Exception {
    Path table = dir.resolve("tcp");
    Files.writeString(
        table,
        String.join(
            "\n",
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid "
                + " timeout inode",
            "   0: 0100007F:5208 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
                + "        0 1111 1 0000000000000000 100 0 0 10 0",
            "   1: 0100007F:5208 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0"
                + "        0 2222 1 0000000000000000 20 4 30 10 -1",
            "   2: 0100007F:5209 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
                + "        0 3333 1 0000000000000000 100 0 0 10 0",
            ""));
    // 0x5208 = 21000: the listening entry only, not the connection from it.
    assertThat(ListeningSockets.listeningInodes(table, 21_000)).containsExactly("1111");
    assertThat(ListeningSockets.listeningInodes(table, 21_002)).isEmpty();
  }
}
