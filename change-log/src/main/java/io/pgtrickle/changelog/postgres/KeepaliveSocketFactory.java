package io.pgtrickle.changelog.postgres;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Properties;
import javax.net.SocketFactory;
import jdk.net.ExtendedSocketOptions;

/**
 * PgJDBC's socket factory for connections that must notice a vanished server: TCP keepalive probes
 * after {@value #IDLE_SECONDS} s without traffic, every {@value #INTERVAL_SECONDS} s, the
 * connection given up after {@value #COUNT} unanswered ones (about 25 s), instead of the operating
 * system's defaults (Linux: the first probe after 2 h). A server whose machine vanishes (a lost
 * node, a network that drops everything) does not close its connections, and a statement waiting
 * for its answer on a connection without a socket timeout (a refresh, a replication stream, a
 * change-log statement that may take long) would otherwise wait that long. PgJDBC has no setting
 * for these (libpq has {@code keepalives_idle}, {@code keepalives_interval} and {@code
 * keepalives_count}), but takes a socket factory by class name ({@code socketFactory}): {@link
 * #configure} names this one. Where the platform does not support the options (not Linux, macOS or
 * Windows), the sockets keep the system's keepalive timing.
 */
public final class KeepaliveSocketFactory extends SocketFactory {

  /** Seconds without traffic before the first probe. */
  public static final int IDLE_SECONDS = 10;

  /** Seconds between probes. */
  public static final int INTERVAL_SECONDS = 5;

  /** Unanswered probes after which the connection is given up. */
  public static final int COUNT = 3;

  /** PgJDBC instantiates the factory by its class name. */
  public KeepaliveSocketFactory() {}

  /**
   * Makes PgJDBC connections made with {@code p} use this factory and TCP keepalive, unless {@code
   * p} names another factory or turns keepalive off.
   *
   * @param p PgJDBC connection properties; changed
   * @return {@code p}
   */
  public static Properties configure(Properties p) {
    p.putIfAbsent("socketFactory", KeepaliveSocketFactory.class.getName());
    p.putIfAbsent("tcpKeepAlive", "true");
    return p;
  }

  /**
   * Sets keepalive and its timing on a socket.
   *
   * @param s a socket, connected or not
   * @return {@code s}
   * @throws IOException if an option cannot be set
   */
  static Socket keepalive(Socket s) throws IOException {
    s.setKeepAlive(true);
    if (s.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE)) {
      s.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, IDLE_SECONDS);
      s.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, INTERVAL_SECONDS);
      s.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, COUNT);
    }
    return s;
  }

  @Override
  public Socket createSocket() throws IOException {
    return keepalive(new Socket());
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return connected(
        new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return connected(
        new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
  }

  private static Socket connected(InetSocketAddress remote, InetSocketAddress local)
      throws IOException {
    Socket s = keepalive(new Socket());
    try {
      if (local != null) {
        s.bind(local);
      }
      s.connect(remote);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }
}
