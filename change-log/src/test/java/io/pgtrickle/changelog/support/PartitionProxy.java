package io.pgtrickle.changelog.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on loopback whose connections can be cut off without a word: after {@link
 * #blackholeExisting()} the connections made so far carry nothing in either direction and are not
 * closed (no FIN, no RST), as when the server's machine vanishes or the network between drops
 * everything, while new connections pass (the clients' next connection reaches a live server, as
 * after a failover). Bytes a client writes into a cut connection are read and dropped, so its
 * writes keep succeeding, as they do into a real socket's buffer until the retransmissions give up.
 */
public final class PartitionProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final int target;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

  /** One proxied connection; once {@code cut} nothing passes. */
  private static final class Link {
    volatile boolean cut;
  }

  public PartitionProxy(int targetPort) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.target = targetPort;
    daemon("partition-proxy-accept", this::accept);
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** Cuts every connection made so far, silently; later ones pass. */
  public void blackholeExisting() {
    links.forEach(l -> l.cut = true);
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
        sockets.add(client);
        sockets.add(server);
        Link link = new Link();
        links.add(link);
        daemon("partition-proxy-up", () -> pump(client, server, link));
        daemon("partition-proxy-down", () -> pump(server, client, link));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** Copies {@code from} to {@code to} until either closes; once cut, reads and drops. */
  private static void pump(Socket from, Socket to, Link link) {
    byte[] buffer = new byte[16384];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (!link.cut) {
          out.write(buffer, 0, n);
          out.flush();
        }
      }
      if (!link.cut) {
        to.shutdownOutput();
      }
    } catch (IOException ignored) {
      // one side closed
    }
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
