package io.pgtrickle.changelog.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * What the PostgreSQL server did during one measurement, for {@code make profile-changelog}: WAL
 * (records, full-page images, bytes from {@code pg_stat_wal}), buffers written by checkpoints and
 * backends ({@code pg_stat_bgwriter}), the CPU time of the server's processes (from {@code
 * /proc/<pid>/stat} of every process {@code pg_stat_activity} lists) and of this JVM, each per
 * event, and a histogram of what the active client backends were doing, sampled from {@code
 * pg_stat_activity} every 10 ms ({@code CPU} when they wait for nothing; an {@code idle} backend
 * waits for its client).
 */
final class PgServerStats implements AutoCloseable {

  private static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux

  private final String url;
  private final Connection c;
  private final Map<String, AtomicLong> waits = new ConcurrentHashMap<>();
  private final AtomicLong samples = new AtomicLong();
  private volatile boolean sampling;
  private Thread sampler;
  private Map<String, Double> before;
  private Map<Integer, Long> cpuBefore;
  private long jvmCpuBefore;
  private long diskBefore;

  PgServerStats(String jdbcUrl) throws SQLException {
    url = jdbcUrl + "&ApplicationName=pg-wait-sampler";
    c = DriverManager.getConnection(url);
    c.setAutoCommit(true);
  }

  /** Takes the counters and starts sampling wait events. */
  void start() throws Exception {
    waits.clear();
    samples.set(0);
    before = counters();
    cpuBefore = serverCpuTicks();
    jvmCpuBefore = jvmCpuNanos();
    diskBefore = diskSectorsWritten();
    sampling = true;
    sampler = new Thread(() -> sample(url), "pg-wait-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Stops sampling and describes the measurement of {@code events} events. */
  String stop(long events) throws Exception {
    sampling = false;
    sampler.join();
    long jvmCpu = jvmCpuNanos() - jvmCpuBefore;
    Map<Integer, Long> cpuAfter = serverCpuTicks();
    long ticks = 0;
    for (Map.Entry<Integer, Long> e : cpuAfter.entrySet()) {
      ticks += e.getValue() - cpuBefore.getOrDefault(e.getKey(), 0L);
    }
    for (Map.Entry<Integer, Long> e : cpuBefore.entrySet()) {
      if (!cpuAfter.containsKey(e.getKey())) {
        ticks -= e.getValue(); // ended: its whole time is in the postmaster's children's now
      }
    }
    Map<String, Double> after = counters();
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "server_cpu_us/event=%.1f jvm_cpu_us/event=%.1f disk_written_bytes/event=%.0f",
            ticks / TICKS_PER_SECOND * 1e6 / events,
            jvmCpu / 1e3 / events,
            (diskSectorsWritten() - diskBefore) * 512.0 / events));
    for (String k : after.keySet()) {
      double d = after.get(k) - before.getOrDefault(k, 0.0);
      if (k.startsWith("wal_")) {
        out.append(String.format(Locale.ROOT, " %s/event=%.2f", k, d / events));
      } else {
        out.append(String.format(Locale.ROOT, " %s=%.0f", k, d));
      }
    }
    long n = Math.max(1, samples.get());
    String hist =
        waits.entrySet().stream()
            .sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get()))
            .limit(8)
            .map(
                e ->
                    String.format(
                        Locale.ROOT, "%s %.0f%%", e.getKey(), 100.0 * e.getValue().get() / n))
            .collect(Collectors.joining(", "));
    out.append("\n    active client backends per sample (").append(n).append(" samples): ");
    out.append(hist);
    return out.toString();
  }

  private void sample(String url) {
    try (Connection s = DriverManager.getConnection(url);
        Statement st = s.createStatement()) {
      while (sampling) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
                    + " WHERE backend_type = 'client backend'"
                    + " AND application_name <> 'pg-wait-sampler'")) {
          Map<String, Integer> now = new HashMap<>();
          while (rs.next()) {
            String state = rs.getString(1);
            String key =
                "idle".equals(state)
                    ? "idle"
                    : rs.getString(2) == null ? "CPU" : rs.getString(2) + ":" + rs.getString(3);
            now.merge(key, 1, Integer::sum);
          }
          // Per sample: how many backends were in each state, summed; shown as % of samples
          // (8 publishers in one state all the time: 800%).
          now.forEach((k, v) -> waits.computeIfAbsent(k, x -> new AtomicLong()).addAndGet(v));
          samples.incrementAndGet();
        }
        Thread.sleep(10);
      }
    } catch (Exception e) {
      System.err.println("wait sampler stopped: " + e);
    }
  }

  private Map<String, Double> counters() throws SQLException {
    Map<String, Double> m = new LinkedHashMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT w.wal_records, w.wal_fpi, w.wal_bytes, b.checkpoints_timed"
                    + " + b.checkpoints_req, b.buffers_checkpoint, b.buffers_clean,"
                    + " b.buffers_backend FROM pg_stat_wal w, pg_stat_bgwriter b")) {
      rs.next();
      m.put("wal_records", rs.getDouble(1));
      m.put("wal_fpi", rs.getDouble(2));
      m.put("wal_bytes", rs.getDouble(3));
      m.put("checkpoints", rs.getDouble(4));
      m.put("buf_checkpoint", rs.getDouble(5));
      m.put("buf_bgwriter", rs.getDouble(6));
      m.put("buf_backend", rs.getDouble(7));
    }
    return m;
  }

  /**
   * CPU ticks per server process, and under key -1 the postmaster's own plus those of its children
   * that ended (a connection closed during the measurement).
   */
  private Map<Integer, Long> serverCpuTicks() throws SQLException {
    Map<Integer, Long> m = new TreeMap<>();
    int postmaster = -1;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pid, pid = pg_backend_pid() FROM pg_stat_activity")) {
      while (rs.next()) {
        int pid = rs.getInt(1);
        String[] f = stat(pid);
        if (f != null) {
          m.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12])); // utime, stime
          if (rs.getBoolean(2)) {
            postmaster = Integer.parseInt(f[1]);
          }
        }
      }
    }
    String[] f = stat(postmaster);
    if (f != null) {
      long total = 0;
      for (int i = 11; i <= 14; i++) {
        total += Long.parseLong(f[i]); // utime, stime, cutime, cstime
      }
      m.put(-1, total);
    }
    return m;
  }

  /** The fields of /proc/pid/stat after the command name (state first), or null. */
  private static String[] stat(int pid) {
    try {
      String text = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return text.substring(text.lastIndexOf(") ") + 2).split(" ");
    } catch (Exception gone) {
      return null;
    }
  }

  /** Sectors written to every disk of the machine (all processes: indicative only). */
  private static long diskSectorsWritten() {
    long sectors = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/diskstats"))) {
        String[] f = line.trim().split("\\s+");
        if (f[2].matches("vd[a-z]|sd[a-z]|xvd[a-z]|nvme\\d+n\\d+")) {
          sectors += Long.parseLong(f[9]);
        }
      }
    } catch (Exception e) {
      return 0;
    }
    return sectors;
  }

  private static long jvmCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  @Override
  public void close() throws SQLException {
    c.close();
  }
}
