package io.pgtrickle.operator.postgres.tls;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The start of a TLS connection in PostgreSQL's protocol (PostgreSQL, and PgBouncer which speaks
 * it): the SSLRequest on a plain connection, which the server answers with {@code S} before the
 * handshake.
 */
public final class SslRequest {

  /** PostgreSQL's SSLRequest code (protocol 1234.5679). */
  private static final int CODE = 80877103;

  private SslRequest() {}

  /**
   * A plain connection to {@code host:port} (connect and read timeouts {@code timeoutMillis}) whose
   * server agreed to TLS: the handshake comes next, on a socket layered over it.
   *
   * @throws IOException when it cannot connect or the server does not agree (closed then)
   */
  public static Socket open(String host, int port, int timeoutMillis) throws IOException {
    Socket plain = new Socket();
    try {
      plain.connect(new InetSocketAddress(host, port), timeoutMillis);
      plain.setSoTimeout(timeoutMillis);
      DataOutputStream out = new DataOutputStream(plain.getOutputStream());
      out.writeInt(8);
      out.writeInt(CODE);
      out.flush();
      if (plain.getInputStream().read() != 'S') {
        throw new IOException(host + ":" + port + " offers no TLS");
      }
      return plain;
    } catch (IOException e) {
      plain.close();
      throw e;
    }
  }
}
