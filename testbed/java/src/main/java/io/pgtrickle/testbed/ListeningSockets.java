package io.pgtrickle.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Whether a port's listening socket belongs to a given process (or one of its descendants), from
 * Linux's {@code /proc/net/tcp}, {@code /proc/net/tcp6} and {@code /proc/PID/fd}.
 *
 * <p>A test that starts a server and waits until "something accepts on its port" can be fooled by
 * another process listening there (the server then fails to bind and exits, and the test talks to
 * the wrong peer until its timeouts run out); waiting until the server's own process holds the
 * listening socket cannot.
 */
public final class ListeningSockets {

  private static final String LISTEN = "0A";

  private ListeningSockets() {}

  /**
   * Whether {@code process} or a descendant holds a socket listening on TCP {@code port}.
   *
   * @return true also where {@code /proc} cannot tell (not Linux): the caller's connect check is
   *     then all there is
   */
  public static boolean heldBy(ProcessHandle process, int port) {
    Path net = Path.of("/proc/net/tcp");
    if (!Files.isReadable(net)) {
      return true;
    }
    Set<String> inodes = new HashSet<>();
    for (Path table : List.of(net, Path.of("/proc/net/tcp6"))) {
      inodes.addAll(listeningInodes(table, port));
    }
    if (inodes.isEmpty()) {
      return false;
    }
    return Stream.concat(Stream.of(process), process.descendants())
        .anyMatch(p -> holdsAny(p.pid(), inodes));
  }

  /** The inodes of the sockets listening on {@code port} in one of {@code /proc/net/tcp*}. */
  static Set<String> listeningInodes(Path table, int port) {
    Set<String> out = new HashSet<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(table);
    } catch (IOException e) {
      return out;
    }
    String hexPort = String.format(":%04X", port);
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      String[] f = line.trim().split("\\s+");
      if (f.length > 9 && f[1].endsWith(hexPort) && LISTEN.equals(f[3])) {
        out.add(f[9]);
      }
    }
    return out;
  }

  private static boolean holdsAny(long pid, Set<String> inodes) {
    try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
      return fds.anyMatch(
          fd -> {
            try {
              String target = Files.readSymbolicLink(fd).toString();
              return target.startsWith("socket:[")
                  && inodes.contains(target.substring(8, target.length() - 1));
            } catch (IOException | UnsupportedOperationException gone) {
              return false;
            }
          });
    } catch (IOException gone) {
      return false;
    }
  }
}
