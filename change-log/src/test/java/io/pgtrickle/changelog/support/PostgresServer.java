package io.pgtrickle.changelog.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway PostgreSQL cluster in target/, on a free port: Debian's PostgreSQL 15 by default, or
 * the binaries in a given directory. PostgreSQL refuses to run as root, so when the tests run as
 * root the cluster runs as the unprivileged user {@code pgtest}, created if missing; binaries that
 * user cannot reach (say under /root) are copied into target/ first. Other modules' tests (the CDC
 * consumer) use this class through change-log's test jar.
 */
public final class PostgresServer implements AutoCloseable {

  private static final String USER = "pgtest";

  private final Path bin;
  private final Path data;
  private final Path log;
  private int port;
  private final List<String> runAs;
  private final String extraOptions;

  private PostgresServer(
      Path bin, Path dir, List<String> runAs, String extraOptions, int firstPort) {
    this.bin = bin;
    this.extraOptions = extraOptions;
    this.data = dir.resolve("data");
    this.log = dir.resolve("postgres.log");
    this.port = firstPort;
    this.runAs = runAs;
  }

  public static PostgresServer start() {
    return start(defaultBin(), "");
  }

  /** Debian's PostgreSQL 15, or {@code PG_BIN}. */
  public static Path defaultBin() {
    return Path.of(System.getenv().getOrDefault("PG_BIN", "/usr/lib/postgresql/15/bin"));
  }

  /**
   * Starts a cluster of the binaries in {@code bin} with extra server options.
   *
   * @param bin the directory holding initdb, pg_ctl and postgres
   * @param extraOptions more {@code -c name=value} options, e.g. {@code -c wal_level=logical}
   */
  public static PostgresServer start(Path bin, String extraOptions) {
    return start(bin, extraOptions, ServerProcess.freePort());
  }

  /** {@link #start(Path, String)} trying {@code firstPort} first (for the test of the retry). */
  static PostgresServer start(Path bin, String extraOptions, int firstPort) {
    if (!Files.isExecutable(bin.resolve("postgres"))) {
      throw new IllegalStateException(
          "PostgreSQL not found at "
              + bin
              + " (set PG_BIN, or run hack/install-deps.sh postgres pgmajors)");
    }
    Path dir = ServerProcess.targetDir("postgres");
    List<String> runAs = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      ensureUser();
      bin = reachableBin(bin);
      ServerProcess.run(List.of("chown", "-R", USER, dir.toString()), 30);
      runAs.addAll(List.of("runuser", "-u", USER, "--"));
    }
    PostgresServer server = new PostgresServer(bin, dir, runAs, extraOptions, firstPort);
    server.initdb();
    server.startOnAFreePort();
    return server;
  }

  /**
   * The first start. The port was free when picked, before initdb; another process on the machine
   * (the parallel test streams open thousands of connections) may have taken it since: then the
   * server is started again on another port, up to {@value #START_ATTEMPTS} times. Later starts
   * ({@link #restart}, {@link #startAgain}) keep the port.
   */
  private void startOnAFreePort() {
    for (int attempt = 1; ; attempt++) {
      try {
        startServer();
        return;
      } catch (IllegalStateException e) {
        if (attempt == START_ATTEMPTS || !portWasTaken()) {
          throw e;
        }
        port = ServerProcess.freePort();
      }
    }
  }

  private static final int START_ATTEMPTS = 5;

  private boolean portWasTaken() {
    try {
      return Files.readString(log).contains("Address already in use");
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** {@code bin}, or a copy of its installation in target/ if {@code pgtest} cannot run it. */
  private static synchronized Path reachableBin(Path bin) {
    try {
      ServerProcess.run(List.of("runuser", "-u", USER, "--", "test", "-x", bin + "/postgres"), 10);
      return bin;
    } catch (IllegalStateException unreachable) {
      Path install = bin.toAbsolutePath().getParent();
      Path copy =
          Path.of(System.getProperty("user.dir"), "target", "pg-binaries")
              .resolve(install.getFileName());
      if (!Files.isExecutable(copy.resolve("bin/postgres"))) {
        ServerProcess.run(List.of("mkdir", "-p", copy.getParent().toString()), 10);
        ServerProcess.run(List.of("cp", "-a", install.toString(), copy.toString()), 120);
        ServerProcess.run(List.of("chmod", "-R", "a+rX", copy.toString()), 30);
      }
      return copy.resolve("bin");
    }
  }

  private static void ensureUser() {
    try {
      ServerProcess.run(List.of("id", USER), 10);
    } catch (IllegalStateException missing) {
      ServerProcess.run(
          List.of("useradd", "--system", "--no-create-home", "--shell", "/bin/false", USER), 30);
    }
  }

  private List<String> as(String... command) {
    List<String> c = new ArrayList<>(runAs);
    c.addAll(List.of(command));
    return c;
  }

  private void initdb() {
    ServerProcess.run(
        as(
            bin.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync"),
        120);
  }

  private void startServer() {
    String options =
        "-p "
            + port
            + " -c listen_addresses=127.0.0.1 -c unix_socket_directories="
            + data
            + " -c fsync=on -c synchronous_commit=on -c max_connections=200"
            // Fewer checkpoints during a run: they made benchmark figures swing by 2x.
            + " -c max_wal_size=8GB -c checkpoint_timeout=30min "
            + extraOptions;
    ServerProcess.run(
        as(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            log.toString(),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start"),
        90);
    ServerProcess.awaitPort("postgres", null, port, log, 30);
  }

  public void stop() {
    ServerProcess.run(
        as(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"),
        90);
  }

  /**
   * Crashes the server: {@code pg_ctl stop -m immediate} (every process quits at once, no
   * checkpoint, WAL not yet written from the WAL buffers is lost, as after a power cut of the
   * server alone). {@link #startAgain()} recovers it from its WAL.
   */
  public void crash() {
    ServerProcess.run(
        as(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-m",
            "immediate",
            "-w",
            "stop"),
        90);
  }

  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend): connections stay open and
   * every query hangs, as behind a network that drops packets. {@link #resume()} thaws it.
   */
  public void pause() {
    signalAll("-STOP");
  }

  /** Thaws a server {@link #pause() paused}. */
  public void resume() {
    signalAll("-CONT");
  }

  private void signalAll(String signal) {
    String postmaster;
    try {
      postmaster = Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("server not running: " + e.getMessage(), e);
    }
    List<String> pids = new ArrayList<>(List.of(postmaster));
    for (String child : ServerProcess.run(List.of("pgrep", "-P", postmaster), 10).split("\\s+")) {
      if (!child.isBlank()) {
        pids.add(child.trim());
      }
    }
    List<String> command = new ArrayList<>(List.of("kill", signal));
    command.addAll(pids);
    ServerProcess.run(command, 10);
  }

  /** Stops and starts the server on the same data directory and port. */
  public void restart() {
    stop();
    startServer();
  }

  public int port() {
    return port;
  }

  /** The directory of this server's binaries (pg_recvlogical, psql...). */
  public Path bin() {
    return bin;
  }

  /** A JDBC URL for database {@code postgres} as user {@code postgres}. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  /** Starts the server again after {@link #stop()}, on the same data directory and port. */
  public void startAgain() {
    startServer();
  }

  /**
   * A standby of this server made from a copy of its data directory, slots included: this server is
   * stopped for the copy and started again. A copy keeps everything the server had, as a former
   * primary that rejoins with pg_rewind does (pg_basebackup would leave the slots out). The standby
   * streams through the physical slot {@code slotName}, created here.
   *
   * @param slotName the physical slot to stream through
   * @param standbyOptions more {@code -c name=value} options for the standby
   * @return the running standby
   */
  public PostgresServer startStandbyCopy(String slotName, String standbyOptions) {
    stop();
    Path dir = ServerProcess.targetDir("postgres-standby");
    PostgresServer standby =
        new PostgresServer(
            bin,
            dir,
            runAs,
            extraOptions
                + " "
                + standbyOptions
                + " -c primary_conninfo='host=127.0.0.1 port="
                + port
                + " user=postgres dbname=postgres application_name=standby'"
                + " -c primary_slot_name="
                + slotName,
            ServerProcess.freePort());
    ServerProcess.run(List.of("cp", "-a", data.toString(), standby.data.toString()), 120);
    if (!runAs.isEmpty()) {
      ServerProcess.run(List.of("chown", "-R", USER, dir.toString()), 30);
    }
    startServer();
    try (Connection c = DriverManager.getConnection(jdbcUrl())) {
      c.createStatement()
          .execute("SELECT pg_create_physical_replication_slot('" + slotName + "', true)");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create physical slot " + slotName, e);
    }
    ServerProcess.run(as("touch", standby.data.resolve("standby.signal").toString()), 10);
    standby.startOnAFreePort();
    return standby;
  }

  /** A change-log URI for this server. */
  public String uri(String params) {
    return "postgresql://127.0.0.1:" + port + "/postgres?user=postgres" + params;
  }

  /**
   * Stops the server and deletes its data directory, keeping its log ({@code postgres.log} beside
   * it): a run of the suites starts hundreds of servers, up to 600 MB each, and CI's disk filled up
   * on 2026-12-05. {@code -Dit.keep.data=true} keeps the data directories for a post-mortem; a
   * server still running (its {@code postmaster.pid} left after the stop) keeps it too.
   */
  @Override
  public void close() {
    try {
      stop();
    } catch (RuntimeException e) {
      // Already stopped, or a test killed it: nothing left to stop.
    }
    if (!Boolean.getBoolean("it.keep.data") && !Files.exists(data.resolve("postmaster.pid"))) {
      ServerProcess.deleteTree(data);
    }
  }
}
