package io.pgtrickle.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What kube-proxy does for one port of a Service: connections to the Service's virtual address and
 * port go to one of its ready endpoints, picked at random per connection (iptables mode).
 * Established connections stay where they are when the endpoints change (conntrack), and end when
 * their endpoint's process does; with no endpoint a connection is refused at once (kube-proxy's
 * REJECT). Half-closes are passed on.
 */
final class TcpForwarder implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TcpForwarder.class);

  /** An endpoint: a pod's address and the resolved target port. */
  record Endpoint(String ip, int port) {}

  private final ServerSocket server;
  private final String name;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile List<Endpoint> endpoints = List.of();
  private volatile boolean closed;

  /** Connections closed at once: no endpoint, or the endpoint refused (for diagnostics). */
  private final AtomicInteger withoutEndpoint = new AtomicInteger();

  private final AtomicInteger refused = new AtomicInteger();
  private volatile String lastRefusal;

  /**
   * Binds {@code address:port}.
   *
   * @throws IOException when the address and port are taken (another forwarder, another test bed)
   */
  TcpForwarder(String name, String address, int port) throws IOException {
    this.name = name;
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getByName(address), port), 128);
    Thread acceptor = new Thread(this::accept, "service-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  void endpoints(List<Endpoint> endpoints) {
    this.endpoints = List.copyOf(endpoints);
  }

  List<Endpoint> endpoints() {
    return endpoints;
  }

  /**
   * The connections this forwarder closed at once, one line: how many found no endpoint, how many
   * an endpoint refused and the last refusal. A client sees either as "server closed the connection
   * unexpectedly".
   */
  String closedAtOnce() {
    return "closed at once: "
        + withoutEndpoint.get()
        + " without endpoint, "
        + refused.get()
        + " refused by the endpoint"
        + (lastRefusal == null ? "" : " (last: " + lastRefusal + ")");
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      List<Endpoint> now = endpoints;
      if (now.isEmpty()) {
        withoutEndpoint.incrementAndGet();
        closeQuietly(client);
        continue;
      }
      Endpoint target = now.get(ThreadLocalRandom.current().nextInt(now.size()));
      Thread t = new Thread(() -> connect(client, target), "service-" + name + "-connect");
      t.setDaemon(true);
      t.start();
    }
  }

  private void connect(Socket client, Endpoint target) {
    Socket backend = new Socket();
    try {
      backend.setTcpNoDelay(true);
      client.setTcpNoDelay(true);
      backend.bind(new InetSocketAddress(source(client), 0));
      backend.connect(new InetSocketAddress(target.ip(), target.port()), 2000);
    } catch (IOException e) {
      LOG.debug("{}: endpoint {} refused: {}", name, target, e.toString());
      refused.incrementAndGet();
      lastRefusal = Instant.now() + " " + target.ip() + ":" + target.port() + " " + e;
      closeQuietly(client);
      closeQuietly(backend);
      return;
    }
    open.add(client);
    open.add(backend);
    AtomicInteger ended = new AtomicInteger();
    Thread back = new Thread(() -> pump(backend, client, ended), "service-" + name + "-back");
    back.setDaemon(true);
    back.start();
    pump(client, backend, ended);
  }

  /**
   * The address the endpoint sees the connection come from. kube-proxy keeps a pod client's own
   * address, so a pod's connection keeps its pod IP; a client outside every pod (a test's JVM, psql
   * on the host: 127.0.0.1) comes from the Service's virtual address, as from another host, never
   * from 127.0.0.1, which the endpoint would take for itself (PostgreSQL's pg_hba trusts 127.0.0.1
   * differently from remote clients).
   */
  private InetAddress source(Socket client) {
    InetAddress from = client.getInetAddress();
    return from.getHostAddress().equals("127.0.0.1") ? server.getInetAddress() : from;
  }

  /**
   * Copies until end of stream, then half-closes {@code to}; the second direction to end (or any
   * error, a reset included) closes both sockets. The sockets' streams are never closed on their
   * own: that would close the socket under the other direction.
   */
  private void pump(Socket from, Socket to, AtomicInteger ended) {
    byte[] buffer = new byte[16384];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
      }
      to.shutdownOutput();
      if (ended.incrementAndGet() < 2) {
        return;
      }
    } catch (IOException e) {
      // reset, or closed by the other direction
    }
    closeQuietly(from);
    closeQuietly(to);
    open.remove(from);
    open.remove(to);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // nothing to do
    }
    open.forEach(TcpForwarder::closeQuietly);
  }
}
