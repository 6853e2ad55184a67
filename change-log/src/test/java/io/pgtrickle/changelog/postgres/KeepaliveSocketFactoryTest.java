package io.pgtrickle.changelog.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Properties;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Test;

/** The sockets PgJDBC gets from {@link KeepaliveSocketFactory}. */
class KeepaliveSocketFactoryTest {

  @Test
  void socketsProbeAfterTenSecondsEveryFiveAndGiveUpAfterThree() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket unconnected = new KeepaliveSocketFactory().createSocket();
        Socket connected =
            new KeepaliveSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
      for (Socket s : new Socket[] {unconnected, connected}) {
        assertThat(s.getKeepAlive()).isTrue();
        assertThat(s.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(10);
        assertThat(s.getOption(ExtendedSocketOptions.TCP_KEEPINTERVAL)).isEqualTo(5);
        assertThat(s.getOption(ExtendedSocketOptions.TCP_KEEPCOUNT)).isEqualTo(3);
      }
      assertThat(connected.isConnected()).isTrue();
    }
  }

  @Test
  void configureNamesTheFactoryUnlessThePropertiesSayOtherwise() {
    Properties p = KeepaliveSocketFactory.configure(new Properties());
    assertThat(p.getProperty("socketFactory")).isEqualTo(KeepaliveSocketFactory.class.getName());
    assertThat(p.getProperty("tcpKeepAlive")).isEqualTo("true");

    Properties own = new Properties();
    own.setProperty("socketFactory", "org.example.Mine");
    own.setProperty("tcpKeepAlive", "false");
    KeepaliveSocketFactory.configure(own);
    assertThat(own.getProperty("socketFactory")).isEqualTo("org.example.Mine");
    assertThat(own.getProperty("tcpKeepAlive")).isEqualTo("false");
  }
}
