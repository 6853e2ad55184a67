package io.pgtrickle.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoopbackPortsTest {

  @TempDir Path dir;

  @Test
  void reservedPortsAreDistinctFreeAndBelowTheEphemeralRange() throws Exception {
    int[] range = LoopbackPorts.range();
    int ephemeralLow =
        LoopbackPorts.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    assertThat(range[1]).isEqualTo(ephemeralLow);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = LoopbackPorts.reserve();
      assertThat(port).isBetween(range[0], range[1] - 1).isGreaterThanOrEqualTo(10_000);
      assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
    }
    int port = LoopbackPorts.reserve();
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      assertThat(s.getLocalPort()).isEqualTo(port);
    }
  }

  @Test
  void aPortSomeoneListensOnIsNotHandedOut() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      LoopbackPorts ports = new LoopbackPorts(dir, new int[] {port, port + 1});
      assertThatThrownBy(ports::next)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no free port in [" + port + ", " + (port + 1) + ")");
      taken.close();
      assertThat(ports.next()).isEqualTo(port);
    }
  }

  @Test
  void aPortAnotherJvmReservedIsNotHandedOutUntilItExits() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                cp,
                PortHolderMain.class.getName(),
                dir.toString(),
                String.valueOf(port),
                String.valueOf(port + 1))
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("held");
      LoopbackPorts ports = new LoopbackPorts(dir, new int[] {port, port + 1});
      assertThatThrownBy(ports::next).hasMessageContaining("locked by another JVM");
      holder.getOutputStream().close();
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(ports.next()).isEqualTo(port);
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void theRangeIsTheTwelveThousandPortsBelowTheEphemeralOnes() throws Exception {
    assertThat(LoopbackPorts.rangeBelow(32_768)).containsExactly(20_768, 32_768);
    assertThat(LoopbackPorts.rangeBelow(15_000)).containsExactly(10_000, 15_000);
    assertThatThrownBy(() -> LoopbackPorts.rangeBelow(10_500))
        .hasMessageContaining("ip_local_port_range starts at 10500");
    Path file = dir.resolve("ip_local_port_range");
    Files.writeString(file, "40000\t60999\n");
    assertThat(LoopbackPorts.ephemeralLow(file)).isEqualTo(40_000);
    assertThat(LoopbackPorts.ephemeralLow(dir.resolve("missing"))).isEqualTo(32_768);
  }
}
