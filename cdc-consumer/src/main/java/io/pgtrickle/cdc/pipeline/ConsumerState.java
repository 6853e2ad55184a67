package io.pgtrickle.cdc.pipeline;

/**
 * What the health endpoints need to know, written by the pipeline threads. Each field is a single
 * volatile value: probes read a consistent enough picture without locking the hot path.
 */
public final class ConsumerState {

  private volatile boolean streaming;
  private volatile boolean publishFailing;
  private volatile long slotLagBytes = -1;
  private volatile String lastError = "";

  /**
   * Whether a replication stream is open and being read.
   *
   * @return {@code true} while streaming
   */
  public boolean streaming() {
    return streaming;
  }

  void streaming(boolean value) {
    streaming = value;
  }

  /**
   * Whether the change log refused the last publish attempt (the consumer is waiting for it).
   *
   * @return {@code true} while publishing fails
   */
  public boolean publishFailing() {
    return publishFailing;
  }

  void publishFailing(boolean value) {
    publishFailing = value;
  }

  /**
   * The slot's lag in bytes of WAL, or -1 while unknown (source unreachable).
   *
   * @return the lag
   */
  public long slotLagBytes() {
    return slotLagBytes;
  }

  void slotLagBytes(long value) {
    slotLagBytes = value;
  }

  /**
   * The last error seen, for the probe responses.
   *
   * @return a one-line message, or empty
   */
  public String lastError() {
    return lastError;
  }

  void lastError(String value) {
    lastError = value == null ? "" : value;
  }
}
