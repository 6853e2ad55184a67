package io.pgtrickle.operator.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real psql client, as a user runs it: one command, a libpq connection string, the password in
 * {@code PGPASSWORD}. Through a Service name on the test bed: {@code host=} carries the Service's
 * DNS name (what libpq checks the certificate against with {@code sslmode=verify-full}) and {@code
 * hostaddr=} the IP of the pod the Service selects (what kube-proxy would route to; see
 * testbed/README.md).
 */
public final class Psql {

  /** Exit code and everything psql printed (stdout, then stderr). */
  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  private Psql() {}

  /** Runs {@code sql} (tuples only, unaligned) over {@code conninfo}; at most 30 s. */
  public static Result run(String conninfo, String password, String sql) {
    List<String> command = new ArrayList<>(List.of("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1"));
    command.add(conninfo + " connect_timeout=5");
    command.add("-c");
    command.add(sql);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("PGPASSWORD", password);
    builder.environment().remove("PGSSLMODE");
    try {
      Process p = builder.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, out + " (timed out)");
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
