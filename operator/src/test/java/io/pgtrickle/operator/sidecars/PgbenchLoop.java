package io.pgtrickle.operator.sidecars;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real pgbench (PostgreSQL's, from {@code /usr/lib/postgresql/MAJOR/bin}) run again and again
 * with one unchanged command line, as an application's supervisor would restart it: {@code -n -c
 * CLIENTS -j 2 -T SECONDS -P 1 -f SCRIPT CONNINFO}, the password in {@code PGPASSWORD}. pgbench (up
 * to 17) aborts a client whose connection breaks and exits when all have aborted, so a failover
 * shows as runs that fail (exit code 1: no connection, 2: clients aborted) until a run goes through
 * again with the same command line.
 */
final class PgbenchLoop implements AutoCloseable {

  /**
   * One pgbench run: when it started and ended ({@link System#nanoTime()}), its exit code, the
   * transactions it reported processed and failed, and its output.
   */
  record Run(
      long startedNanos,
      long endedNanos,
      int exitCode,
      long processed,
      long failed,
      String output) {

    /** Exit 0, every client to the end, at least one transaction, none failed. */
    boolean clean() {
      return exitCode == 0 && processed > 0 && failed == 0;
    }
  }

  private static final Pattern PROCESSED =
      Pattern.compile("(?m)^number of transactions actually processed: (\\d+)");
  private static final Pattern FAILED =
      Pattern.compile("(?m)^number of failed transactions: (\\d+)");

  private final List<String> command;
  private final String password;
  private final int seconds;
  private final List<Run> runs = new CopyOnWriteArrayList<>();
  private volatile boolean running = true;
  private volatile Process current;
  private final Thread thread;

  /**
   * Starts the loop at once.
   *
   * @param binary pgbench
   * @param conninfo the libpq connection string (TLS settings included)
   * @param script the transaction script's path
   * @param clients concurrent client connections ({@code -c})
   * @param seconds each run's duration ({@code -T})
   */
  PgbenchLoop(
      Path binary, String conninfo, String password, Path script, int clients, int seconds) {
    this.password = password;
    this.seconds = seconds;
    this.command =
        List.of(
            binary.toString(),
            "-n",
            "-c",
            Integer.toString(clients),
            "-j",
            "2",
            "-T",
            Integer.toString(seconds),
            "-P",
            "1",
            "-f",
            script.toString(),
            conninfo + " connect_timeout=5");
    this.thread = new Thread(this::loop, "pgbench-loop");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * pgbench of {@code major} if installed, else the newest installed one (any pgbench speaks to any
   * server major in simple query mode).
   *
   * @throws IllegalStateException when none is installed (hack/install-deps.sh installs it)
   */
  static Path binary(int major) {
    Path wanted = Path.of("/usr/lib/postgresql/" + major + "/bin/pgbench");
    if (Files.isExecutable(wanted)) {
      return wanted;
    }
    try (Stream<Path> majors = Files.list(Path.of("/usr/lib/postgresql"))) {
      return majors
          .map(dir -> dir.resolve("bin/pgbench"))
          .filter(Files::isExecutable)
          .max(Comparator.comparing(p -> Integer.parseInt(p.getParent().getParent().toString())))
          .orElseThrow();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "pgbench not found under /usr/lib/postgresql/*/bin: run hack/install-deps.sh", e);
    }
  }

  /** The runs finished so far, in order. */
  List<Run> runs() {
    return List.copyOf(runs);
  }

  /** The first clean run that started after {@code nanos}. */
  Optional<Run> firstCleanRunStartedAfter(long nanos) {
    return runs.stream().filter(r -> r.startedNanos() > nanos && r.clean()).findFirst();
  }

  /** Stops the loop: lets the current run end (at most its duration and 30 s), then returns. */
  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(TimeUnit.SECONDS.toMillis(seconds + 30L));
    Process p = current;
    if (p != null) {
      p.destroyForcibly();
    }
  }

  private void loop() {
    while (running) {
      Run run = runOnce();
      runs.add(run);
      if (!run.clean()) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private Run runOnce() {
    long started = System.nanoTime();
    try {
      Path log = Files.createTempFile("pgbench", ".log");
      try {
        ProcessBuilder builder =
            new ProcessBuilder(new ArrayList<>(command))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("PGPASSWORD", password);
        builder.environment().remove("PGSSLMODE");
        Process p = builder.start();
        current = p;
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        return new Run(
            started,
            System.nanoTime(),
            p.exitValue(),
            number(PROCESSED, output),
            number(FAILED, output),
            output);
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
      return new Run(started, System.nanoTime(), -1, 0, 0, "interrupted");
    }
  }

  private static long number(Pattern pattern, String output) {
    Matcher m = pattern.matcher(output);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
