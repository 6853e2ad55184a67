package io.pgtrickle.worker.runtime;

import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * The worker process's CPU use in percent of the CPUs it may use (the container's limit, as the JVM
 * sees it): CPU time used since the previous sample divided by the wall time passed and the number
 * of CPUs. Samples are taken when read, at most once a second (a Prometheus scrape); the first read
 * covers the time since start.
 */
public final class CpuSampler {

  private final LongSupplier cpuNanos;
  private final LongSupplier wallNanos;
  private final int cpus;
  private long lastCpu;
  private long lastWall;
  private double lastPercent;
  private boolean sampled;

  /** Samples this JVM. */
  public CpuSampler() {
    this(
        () ->
            ((com.sun.management.OperatingSystemMXBean)
                    ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime(),
        System::nanoTime,
        Runtime.getRuntime().availableProcessors());
  }

  /**
   * Samples given clocks (tests).
   *
   * @param cpuNanos CPU time used by the process
   * @param wallNanos a monotonic clock
   * @param cpus how many CPUs the process may use
   */
  public CpuSampler(LongSupplier cpuNanos, LongSupplier wallNanos, int cpus) {
    this.cpuNanos = cpuNanos;
    this.wallNanos = wallNanos;
    this.cpus = Math.max(1, cpus);
    this.lastCpu = cpuNanos.getAsLong();
    this.lastWall = wallNanos.getAsLong();
  }

  /**
   * The CPU use since the previous sample.
   *
   * @return 0 to 100
   */
  public synchronized double percent() {
    long wall = wallNanos.getAsLong();
    if (sampled && wall - lastWall < 1_000_000_000L) {
      return lastPercent;
    }
    long cpu = cpuNanos.getAsLong();
    if (wall > lastWall) {
      double p = 100.0 * (cpu - lastCpu) / ((double) (wall - lastWall) * cpus);
      lastPercent = Math.max(0, Math.min(100, p));
      lastCpu = cpu;
      lastWall = wall;
      sampled = true;
    }
    return lastPercent;
  }
}
