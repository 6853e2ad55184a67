package io.pgtrickle.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the servers the tests start on loopback (PostgreSQL, NATS, Kafka, the operator, the
 * object store emulators), picked so that nothing else takes them between the pick and the server's
 * bind.
 *
 * <p>Picking with {@code new ServerSocket(0)} and closing it leaves a window (seconds, while a
 * server starts) in which the port is free again; on this machine two test JVMs run side by side
 * and every outgoing connection of any process draws its source port from the same ephemeral range,
 * so a CI run now and then lost a port to another process (a {@code BindException} in the server's
 * log). Here a port is drawn at random <em>below</em> the kernel's ephemeral range ({@code
 * /proc/sys/net/ipv4/ip_local_port_range}, 32768-60999 by default), where the kernel never assigns
 * a source port, and claimed for the life of this JVM by an exclusive lock on a file {@code PORT}
 * in a directory shared by every JVM of the machine ({@code java.io.tmpdir/pg-trickle-ports}):
 * another JVM skips a port whose file is locked, and the lock goes with the JVM that held it. A
 * port is handed out only when it is also free for a bind on every address (a server of an earlier
 * run, still listening, keeps its port). The same scheme as PostgreSQL's own TAP tests ({@code
 * PostgreSQL::Test::Cluster::get_free_port}: random ports with a lock file per port).
 */
public final class LoopbackPorts {

  /** Ports drawn from are at least this. */
  static final int LOWEST = 10_000;

  /** How many ports below the ephemeral range are drawn from. */
  static final int SPAN = 12_000;

  private static final int ATTEMPTS = 1_000;
  private static final LoopbackPorts SHARED =
      new LoopbackPorts(
          Path.of(System.getProperty("java.io.tmpdir"), "pg-trickle-ports"),
          rangeBelow(ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))));

  private final Path directory;
  private final int from;
  private final int to;
  private final List<FileChannel> held = new ArrayList<>();

  /**
   * @param directory where the lock files are (created when missing)
   * @param range {@code [from, to)}
   */
  LoopbackPorts(Path directory, int[] range) {
    this.directory = directory;
    this.from = range[0];
    this.to = range[1];
    if (from >= to) {
      throw new IllegalArgumentException("empty port range [" + from + ", " + to + ")");
    }
  }

  /**
   * A port free on every address and reserved for this JVM until it exits.
   *
   * @return a port in {@code [ephemeral low - 12000, ephemeral low)}, at least 10000
   * @throws IllegalStateException when 1,000 random ports were all taken or locked
   */
  public static int reserve() {
    return SHARED.next();
  }

  /** The ports drawn from: {@code [from, to)}. */
  public static int[] range() {
    return new int[] {SHARED.from, SHARED.to};
  }

  synchronized int next() {
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + directory, e);
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < ATTEMPTS; i++) {
      int port = random.nextInt(from, to);
      if (claim(port)) {
        return port;
      }
    }
    throw new IllegalStateException(
        "no free port in ["
            + from
            + ", "
            + to
            + ") after "
            + ATTEMPTS
            + " tries (taken, or locked by another JVM in "
            + directory
            + ")");
  }

  /** Locks the port's file, then checks the port is free; keeps the lock only if it is. */
  private boolean claim(int port) {
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              directory.resolve(String.valueOf(port)),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock != null && bindable(port)) {
        held.add(channel);
        return true;
      }
    } catch (OverlappingFileLockException ours) {
      // Already handed out by this JVM.
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + directory.resolve(String.valueOf(port)), e);
    }
    if (channel != null) {
      try {
        channel.close(); // releases the lock, if this call took it
      } catch (IOException ignored) {
        // Nothing to keep.
      }
    }
    return false;
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port), 1);
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** The lowest port of the kernel's ephemeral range, 32768 when it cannot be read. */
  static int ephemeralLow(Path file) {
    // Not Files.readString: a /proc file reports size 0, and the JDK read only its first byte.
    try (var in = Files.newBufferedReader(file)) {
      return Integer.parseInt(in.readLine().trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  /**
   * The {@value #SPAN} ports below {@code ephemeralLow}, not below {@value #LOWEST}.
   *
   * @throws IllegalStateException when the ephemeral range starts at or below 11000, which leaves
   *     no room below it
   */
  static int[] rangeBelow(int ephemeralLow) {
    int from = Math.max(LOWEST, ephemeralLow - SPAN);
    if (ephemeralLow - from < 1_000) {
      throw new IllegalStateException(
          "net.ipv4.ip_local_port_range starts at "
              + ephemeralLow
              + ": the tests need at least 1,000 ports between "
              + LOWEST
              + " and it for their servers");
    }
    return new int[] {from, ephemeralLow};
  }
}
