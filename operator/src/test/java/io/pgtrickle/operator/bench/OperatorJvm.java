package io.pgtrickle.operator.bench;

/**
 * The JVM flags the operator ships with (images/operator/Dockerfile uses the same): serial GC and a
 * heap bounded by the container's memory, which suit a mostly idle controller best.
 */
final class OperatorJvm {

  static final String[] FLAGS = {
    "-XX:+UseSerialGC",
    "-XX:MaxRAMPercentage=50",
    "-XX:MaxRAM=512m",
    "-Xss512k",
    "-XX:TieredStopAtLevel=1",
    "-XX:MinHeapFreeRatio=10",
    "-XX:MaxHeapFreeRatio=20"
  };

  private OperatorJvm() {}
}
