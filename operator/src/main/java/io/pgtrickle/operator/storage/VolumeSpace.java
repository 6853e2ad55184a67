package io.pgtrickle.operator.storage;

import java.util.Locale;

/**
 * How much room a member's data volume has left, and when that is too little. Pure.
 *
 * <p>Thresholds, on the space PostgreSQL may still write ({@code available}) against the volume's
 * capacity:
 *
 * <ul>
 *   <li>{@link Level#FULL} below {@value #FULL_PERCENT}% of the capacity or below {@link
 *       #FULL_FLOOR} (two 16 MiB WAL segments: a primary that cannot add two more WAL files stops
 *       at its next checkpoint or burst of writes with "No space left on device");
 *   <li>{@link Level#LOW} below {@value #LOW_PERCENT}% of the capacity (85% used, between the
 *       warning and critical levels common disk alerts use): at a minute's measuring, time enough
 *       to grow the volume before a bulk load fills it ({@code ClusterTimings.VOLUME_SPACE_CHECK});
 *   <li>{@link Level#SUFFICIENT} otherwise.
 * </ul>
 */
public final class VolumeSpace {

  /** Below this share of the capacity free (percent), the volume is low. */
  public static final int LOW_PERCENT = 15;

  /** Below this share of the capacity free (percent), the volume is full. */
  public static final int FULL_PERCENT = 3;

  /** Below this many bytes free the volume is full, whatever its size: two WAL segments. */
  public static final long FULL_FLOOR = 32L * 1024 * 1024;

  private VolumeSpace() {}

  /** How a volume stands. */
  public enum Level {
    SUFFICIENT,
    LOW,
    FULL
  }

  /**
   * One member's data volume as measured, bytes.
   *
   * @param member the member (pod) name
   * @param used what its files take
   * @param capacity what it may hold: the file system's (a dedicated file system) or the claim's
   *     {@code status.capacity} (a directory of a larger one, {@code directory})
   * @param available what PostgreSQL may still write
   * @param directory whether the volume is a directory of a larger file system ({@link
   *     DiskFigures#shared})
   */
  public record Reading(
      String member, long used, long capacity, long available, boolean directory) {}

  /** The level of {@code r} by the thresholds above. */
  public static Level level(Reading r) {
    if (r.available() < fullBelow(r.capacity())) {
      return Level.FULL;
    }
    if (r.available() < lowBelow(r.capacity())) {
      return Level.LOW;
    }
    return Level.SUFFICIENT;
  }

  /** Free bytes below which a volume of {@code capacity} bytes is {@link Level#LOW} (or worse). */
  public static long lowBelow(long capacity) {
    return ceilPercent(capacity, LOW_PERCENT);
  }

  /** Free bytes below which a volume of {@code capacity} bytes is {@link Level#FULL}. */
  public static long fullBelow(long capacity) {
    return Math.max(FULL_FLOOR, ceilPercent(capacity, FULL_PERCENT));
  }

  /** The least {@code x} with {@code x * 100 >= capacity * percent}. */
  private static long ceilPercent(long capacity, int percent) {
    return (capacity * percent + 99) / 100;
  }

  /**
   * {@code bytes} in binary units as people read them: "512 KiB", "168 MiB", "1.5 GiB" (one decimal
   * below 10 of a unit, whole numbers above; bytes below 1 KiB as "N B").
   */
  public static String human(long bytes) {
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return value < 10
        ? String.format(Locale.ROOT, "%.1f %s", value, units[unit])
        : String.format(Locale.ROOT, "%d %s", Math.round(value), units[unit]);
  }

  /** The share of the capacity used, whole percent (100 when the capacity is unknown or zero). */
  public static long percentUsed(Reading r) {
    return r.capacity() <= 0 ? 100 : Math.min(100, Math.round(100.0 * r.used() / r.capacity()));
  }
}
