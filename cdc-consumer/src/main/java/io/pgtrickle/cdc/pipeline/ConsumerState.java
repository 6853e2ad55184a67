package io.pgtrickle.cdc.pipeline;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the health endpoints need to know, written by the pipeline threads. Each field is a single
 * volatile value: probes read a consistent enough picture without locking the hot path.
 */
public final class ConsumerState {

  private volatile boolean streaming;
  private volatile boolean publishFailing;
  private volatile long slotLagBytes = -1;
  private volatile String lastError = "";
  private volatile String terminal = "";
  private volatile String refused = "";
  private volatile String stuck = "";
  private volatile Map<String, String> captureProblems = Map.of();
  private volatile long lastProgressNanos = System.nanoTime();
  private volatile int walsenderPid;
  private volatile long walsenderSeenNanos;
  private volatile boolean holding;

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

  /**
   * Records that the change log cannot be reached yet (before the consumer starts): {@code /readyz}
   * fails naming it, {@code /healthz} passes (a restart would not reach it sooner).
   *
   * @param message the error, one line
   */
  public void changeLogUnreachable(String message) {
    lastError("change log unreachable: " + message);
  }

  /**
   * Why the consumer stopped for good (its slot is lost), or empty while it runs.
   *
   * @return the message, or empty
   */
  public String terminal() {
    return terminal;
  }

  void terminal(String message) {
    terminal = message == null ? "" : message;
  }

  /**
   * What the source refuses for good while the consumer runs (a revoked privilege, a changed
   * password), naming the fix; the consumer keeps trying. Empty while the source accepts.
   *
   * @return the message, or empty
   */
  public String refused() {
    return refused;
  }

  void refused(String message) {
    refused = message == null ? "" : message;
  }

  /**
   * Why the consumer counts as stuck (not progressing while the source has WAL for its slot), or
   * empty.
   *
   * @return the message, or empty
   */
  public String stuck() {
    return stuck;
  }

  void stuck(String message) {
    stuck = message == null ? "" : message;
  }

  /**
   * Tables that should be captured and are not (or that break their writers), with why.
   *
   * @return table name to message; empty when everything is captured
   */
  public Map<String, String> captureProblems() {
    return captureProblems;
  }

  /**
   * Replaces the capture problems (the capture set's view after each of its rounds).
   *
   * @param problems table name to message
   */
  public void captureProblems(Map<String, String> problems) {
    captureProblems = Map.copyOf(new TreeMap<>(problems));
  }

  /** When the pipeline last moved: a batch published or a position confirmed (System.nanoTime). */
  long lastProgressNanos() {
    return lastProgressNanos;
  }

  void progressed() {
    lastProgressNanos = System.nanoTime();
  }

  /**
   * Whether the session holds changes it received and the change log has not acknowledged yet (or
   * is inside a transaction): then the pipeline, not the server, decides when the slot moves.
   */
  boolean holding() {
    return holding;
  }

  void holding(boolean value) {
    if (holding != value) {
      holding = value;
    }
  }

  /** The backend pid of the walsender the current session streams from, or 0. */
  int walsenderPid() {
    return walsenderPid;
  }

  /**
   * When the slot's poll last found this session's walsender streaming from the slot on the server
   * ({@code active_pid}), {@link System#nanoTime()}; 0 if never.
   */
  long walsenderSeenNanos() {
    return walsenderSeenNanos;
  }

  void walsenderSeen(long nanos) {
    walsenderSeenNanos = nanos;
  }

  void walsenderPid(int pid) {
    walsenderPid = pid;
  }
}
