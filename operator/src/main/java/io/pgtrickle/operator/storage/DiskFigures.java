package io.pgtrickle.operator.storage;

import java.util.List;
import java.util.Optional;

/**
 * Reads the output of {@code df -Pk DIR} and {@code du -sk DIR} run in a member's PostgreSQL
 * container, and turns them with the claim's {@code status.capacity} into one {@link
 * VolumeSpace.Reading}. Pure.
 *
 * <p>A volume is not always a file system of its own: hostPath and local-path-like provisioners
 * (and the test bed's volumes) hand out a directory of the node's file system, so {@code df} shows
 * the node's disk, far larger than the claim, and nothing stops the directory from outgrowing its
 * claim. When the file system is more than {@link #SHARED_FACTOR} times the claim's capacity the
 * volume counts as such a directory: its usage is what {@code du} counts, against the claim's
 * capacity, and what is free the smaller of the file system's free space and the capacity left.
 * Otherwise (a dedicated file system: block volumes of CSI drivers, slightly smaller than the claim
 * after the file system's own overhead, or larger when a driver rounds the size up) {@code df}'s
 * figures are the volume's.
 */
public final class DiskFigures {

  /**
   * How much larger than the claim's capacity a file system may be and still be the volume's own: a
   * driver may round a size up (e.g. to whole GiB), never to 1.5 times a claim of 2 GiB or more.
   */
  public static final double SHARED_FACTOR = 1.5;

  private static final long KIB = 1024;

  private DiskFigures() {}

  /**
   * {@code df -Pk}'s figures of one file system, bytes.
   *
   * @param size the file system's size
   * @param used what is used on it
   * @param available what an unprivileged writer (PostgreSQL) may still write: less than {@code
   *     size - used} by the blocks ext4 reserves for root
   */
  public record FileSystem(long size, long used, long available) {}

  /**
   * The file system in {@code df -Pk DIR}'s output (POSIX format: a header, then one line {@code
   * Filesystem 1024-blocks Used Available Capacity Mounted-on}; a long device name never wraps with
   * {@code -P}); empty when no such line is there.
   */
  public static Optional<FileSystem> parseDf(String output) {
    if (output == null) {
      return Optional.empty();
    }
    List<String> lines = output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    for (int i = lines.size() - 1; i >= 0; i--) {
      String[] f = lines.get(i).split("\\s+");
      if (f.length >= 6 && f[1].matches("\\d+") && f[2].matches("\\d+") && f[3].matches("\\d+")) {
        return Optional.of(
            new FileSystem(
                Long.parseLong(f[1]) * KIB,
                Long.parseLong(f[2]) * KIB,
                Long.parseLong(f[3]) * KIB));
      }
    }
    return Optional.empty();
  }

  /**
   * The bytes {@code du -sk DIR} counted (its last line, {@code KIB<TAB>DIR}); empty when there is
   * none. {@code du} goes on past a directory it may not read (and exits 1), so its total is read
   * whatever its exit code.
   */
  public static Optional<Long> parseDu(String output) {
    if (output == null) {
      return Optional.empty();
    }
    List<String> lines = output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    if (lines.isEmpty()) {
      return Optional.empty();
    }
    String[] f = lines.get(lines.size() - 1).split("\\s+");
    return f[0].matches("\\d+") ? Optional.of(Long.parseLong(f[0]) * KIB) : Optional.empty();
  }

  /**
   * Whether the volume is a directory of a larger file system (see the class comment), so that its
   * usage must be counted with {@code du}.
   *
   * @param capacity the claim's {@code status.capacity}, bytes; 0 or less when unknown (then {@code
   *     df} is all there is)
   */
  public static boolean shared(FileSystem fs, long capacity) {
    return capacity > 0 && fs.size() > capacity * SHARED_FACTOR;
  }

  /**
   * The reading of a dedicated file system: {@code df}'s figures. Its capacity is what PostgreSQL
   * can fill, {@code used + available} (ext4's reserved blocks are not PostgreSQL's).
   */
  public static VolumeSpace.Reading dedicated(String member, FileSystem fs) {
    return new VolumeSpace.Reading(
        member, fs.used(), fs.used() + fs.available(), fs.available(), false);
  }

  /**
   * The reading of a directory of a larger file system: {@code directoryUsed} ({@code du}) of the
   * claim's {@code capacity}; free is the smaller of the capacity left and the file system's free
   * space, never below zero.
   */
  public static VolumeSpace.Reading directory(
      String member, FileSystem fs, long directoryUsed, long capacity) {
    long free = Math.max(0, Math.min(fs.available(), capacity - directoryUsed));
    return new VolumeSpace.Reading(member, directoryUsed, capacity, free, true);
  }
}
