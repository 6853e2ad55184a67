package io.pgtrickle.changelog.support;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers to run a server as a child process of the tests, on loopback. */
public final class ServerProcess {

  private ServerProcess() {}

  /**
   * A port for a server on 127.0.0.1, free now and reserved for this JVM ({@link
   * io.pgtrickle.testbed.LoopbackPorts}: no other process takes it before the server binds it).
   */
  public static int freePort() {
    return io.pgtrickle.testbed.LoopbackPorts.reserve();
  }

  /** Starts {@code command} with stdout and stderr appended to {@code log}. */
  public static Process start(List<String> command, Path log) {
    try {
      Files.createDirectories(log.getParent());
      return new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + command + ": " + e.getMessage(), e);
    }
  }

  /** Runs a command to completion; fails with its output if it does not exit 0 in time. */
  public static String run(List<String> command, long timeoutSeconds) {
    try {
      File out = File.createTempFile("cmd", ".log");
      out.deleteOnExit();
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.to(out))
              .start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out after " + timeoutSeconds + "s: " + command);
      }
      String text = Files.readString(out.toPath());
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "exit " + p.exitValue() + " from " + command + ":\n" + text);
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }

  /** Waits until something accepts connections on the port, or fails naming the server. */
  public static void awaitPort(String what, Process process, int port, Path log, long seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException(
            what + " exited with " + process.exitValue() + " before listening; log:\n" + tail(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        // A server started as a child must hold the socket itself: another process listening
        // there would otherwise pass for it (the child then fails to bind).
        if (process == null
            || io.pgtrickle.testbed.ListeningSockets.heldBy(process.toHandle(), port)) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      sleep(100);
    }
    throw new IllegalStateException(
        what + " did not listen on port " + port + " within " + seconds + "s; log:\n" + tail(log));
  }

  /** Stops a process politely (SIGTERM), then forcibly. */
  public static void stop(Process p, long seconds) {
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of a log file, for failure messages. */
  public static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log at " + log + ")";
    }
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The test class path, also under Failsafe's manifest-only jar. */
  public static String testClassPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  /** The java executable of this JVM. */
  public static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** A fresh directory under the module's target/. */
  public static Path targetDir(String name) {
    try {
      Path base = Path.of(System.getProperty("user.dir"), "target", "servers");
      Files.createDirectories(base);
      return Files.createTempDirectory(base, name + "-");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Calls {@code attempt} until it returns without throwing, pausing between attempts: for what a
   * cluster only answers a moment after it changed (a new leader, a stopped member).
   *
   * @param seconds how long to keep trying; the last failure is thrown after it
   * @param pauseMs the pause between attempts
   * @param attempt the call
   * @return what it returned
   */
  public static <T> T retry(long seconds, long pauseMs, java.util.function.Supplier<T> attempt) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      try {
        return attempt.get();
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        sleep(pauseMs);
      }
    }
  }

  /** Deletes a directory and everything in it; complains on stderr about what it cannot delete. */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> tree = Files.walk(dir)) {
      tree.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }

  /**
   * Deletes what {@link #targetDir} created after {@code before} was listed (the benchmarks write
   * gigabytes per backend; tests keep their logs for post-mortems, and servers their data
   * directories until closed).
   *
   * @param before the names in {@code target/servers} before, from {@link #serverDirs()}
   */
  public static void deleteServerDirsSince(java.util.Set<String> before) {
    Path base = Path.of(System.getProperty("user.dir"), "target", "servers");
    for (String name : serverDirs()) {
      if (!before.contains(name)) {
        deleteTree(base.resolve(name));
      }
    }
  }

  /** The names in {@code target/servers} now. */
  public static java.util.Set<String> serverDirs() {
    Path base = Path.of(System.getProperty("user.dir"), "target", "servers");
    if (!Files.isDirectory(base)) {
      return java.util.Set.of();
    }
    try (java.util.stream.Stream<Path> list = Files.list(base)) {
      return list.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
