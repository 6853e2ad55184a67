package io.pgtrickle.changelog.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A TCP proxy on loopback that passes the client's bytes to the server at once but hands the
 * server's bytes to the client at most {@code bytesPerSecond}: a slow link or a client too loaded
 * to read. The server's side is read eagerly (and buffered here), so the server sees its writes
 * succeed as on a fast link.
 */
public final class ThrottledProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final int target;
  private final long bytesPerSecond;

  public ThrottledProxy(int targetPort, long bytesPerSecond) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.target = targetPort;
    this.bytesPerSecond = bytesPerSecond;
    daemon("proxy-accept", this::accept);
  }

  public int port() {
    return listener.getLocalPort();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
        daemon("proxy-up", () -> copy(client, server));
        BlockingQueue<byte[]> down = new LinkedBlockingQueue<>();
        daemon("proxy-down-read", () -> readInto(server, down));
        daemon("proxy-down-write", () -> writeThrottled(down, client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private static void copy(Socket from, Socket to) {
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException ignored) {
      // one side closed
    }
  }

  private static void readInto(Socket from, BlockingQueue<byte[]> queue) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream()) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        queue.add(Arrays.copyOf(buffer, n));
      }
    } catch (IOException ignored) {
      // server closed
    }
    queue.add(new byte[0]);
  }

  private void writeThrottled(BlockingQueue<byte[]> queue, Socket to) {
    long due = System.nanoTime(); // when the bytes sent so far may have gone at the rate
    try (OutputStream out = to.getOutputStream()) {
      byte[] chunk;
      while ((chunk = queue.take()).length > 0) {
        out.write(chunk);
        out.flush();
        due = Math.max(due, System.nanoTime()) + chunk.length * 1_000_000_000L / bytesPerSecond;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
    } catch (IOException | InterruptedException ignored) {
      // client closed
    }
  }

  private static void daemon(String name, Runnable work) {
    Thread t = new Thread(work, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
