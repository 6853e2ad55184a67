package io.pgtrickle.cdc.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What kube-proxy does for the {@code NAME-primary} Service, on 127.0.0.1: every new connection is
 * forwarded to the pod the Service selects at that moment ({@code target}, re-resolved per
 * connection), port 5432; when nothing is selected the connection is closed at once, as a Service
 * without endpoints refuses it. Established connections stay where they were, as with kube-proxy:
 * they end when the pod's PostgreSQL goes away.
 */
final class PrimaryForwarder implements AutoCloseable {

  private final Supplier<Optional<String>> target;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean closed;

  PrimaryForwarder(Supplier<Optional<String>> target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "primary-forwarder");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      Thread t = new Thread(() -> connect(client), "primary-forwarder-connect");
      t.setDaemon(true);
      t.start();
    }
  }

  private void connect(Socket client) {
    Optional<String> ip;
    try {
      ip = target.get();
    } catch (RuntimeException e) {
      ip = Optional.empty(); // the API server did not answer: no endpoint known
    }
    if (ip.isEmpty()) {
      closeQuietly(client);
      return;
    }
    Socket upstream = new Socket();
    try {
      upstream.connect(new InetSocketAddress(ip.get(), 5432), 2000);
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(upstream);
      return;
    }
    open.add(client);
    open.add(upstream);
    pipe(client, upstream);
    pipe(upstream, client);
  }

  private void pipe(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  out.write(buffer, 0, n);
                }
              } catch (IOException e) {
                // one side went away: end both
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
              }
            },
            "primary-forwarder-pipe");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    open.forEach(PrimaryForwarder::closeQuietly);
  }
}
