package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed parameter catalogs against the real PostgreSQL binaries of {@code make deps-test}:
 * the catalogs are what {@code hack/pg-parameters.sh} dumps from them today, and {@link
 * ParameterCheck} takes a name and value exactly when the server takes it ({@code postgres -C NAME
 * -c NAME=VALUE} on a throwaway data directory) and Patroni's validator passes it on unchanged
 * (Patroni drops or clamps what it does not take, with a log line). Skipped, with the reason, where
 * no binaries are installed.
 *
 * <p>A matrix over every major (about 3 minutes), so not in {@code make check}: {@code make
 * test-pg-parameters} runs it ({@code -Dit.pg.catalog=true}), and should after every PostgreSQL or
 * Patroni upgrade and every {@code make pg-parameters}.
 */
@EnabledIfSystemProperty(
    named = "it.pg.catalog",
    matches = "true",
    disabledReason = "a matrix over PostgreSQL 14-18: make test-pg-parameters")
class PostgresqlCatalogIT {

  private static final List<Integer> MAJORS = List.of(14, 15, 16, 17, 18);
  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  private static final String PG_USER = System.getenv().getOrDefault("PGTRICKLE_PG_USER", "pgtest");
  private static final Path PATRONI_PYTHON =
      Path.of(
          System.getenv().getOrDefault("PATRONI_HOME", "/opt/pg-trickle/patroni-4.1.5"),
          "bin/python");

  /** Prints "name TAB value" for each pair Patroni's validator passes on unchanged. */
  private static final String PATRONI_VERDICT =
      String.join(
          "\n",
          "import logging, sys",
          "logging.disable(logging.CRITICAL)",
          "from patroni.collections import CaseInsensitiveSet",
          "from patroni.postgresql.validator import transform_postgresql_parameter_value as t",
          "version, gucs, pairs = int(sys.argv[1]), sys.argv[2], sys.argv[3]",
          "gucs = CaseInsensitiveSet(l.split('\\t')[0] for l in open(gucs) if l.strip())",
          "for line in open(pairs):",
          "    name, value = line.rstrip('\\n').split('\\t')",
          "    if t(version, name, value, gucs) == value:",
          "        print(name + '\\t' + value)");

  /** Names and values with PostgreSQL's edge cases: units, rounding, ranges, C number syntax. */
  private static final Map<String, List<String>> CORPUS =
      Map.ofEntries(
          Map.entry(
              "max_connections",
              List.of(
                  "200",
                  "lots",
                  "0",
                  "0x10",
                  "010",
                  "08",
                  "1e3",
                  "1.5",
                  " 300 ",
                  "100MB",
                  "1e",
                  "2147483648",
                  "inf",
                  "nan",
                  ".5e1",
                  " .5e1",
                  "-5",
                  "+7",
                  "")),
          Map.entry(
              "shared_buffers",
              List.of(
                  "1GB",
                  "1.5GB",
                  "128 MB",
                  "128MB ",
                  "128mb",
                  "128MB x",
                  "128kB",
                  "127kB",
                  "120kB",
                  "16",
                  "15",
                  "10TB",
                  "1ms",
                  "0.2MB",
                  "1073741823",
                  "8TB",
                  "131072kB",
                  "1e6B",
                  "0x20")),
          Map.entry("work_mem", List.of("64kB", "63kB", "63.6kB", "1B", "65536B", "0.1GB", "2TB")),
          Map.entry("wal_keep_size", List.of("1GB", "512kB", "0.5MB", "1.5", "-1")),
          Map.entry(
              "checkpoint_timeout",
              List.of("30s", "29s", "29.6s", "29.4s", "1d", "2d", "0.5min", "1GB", "30000ms")),
          Map.entry(
              "log_min_duration_statement",
              List.of("-1", "250ms", "100us", "1h", "0.5", "-2", "1.5us", "25d", "24.9d")),
          Map.entry("log_rotation_age", List.of("1d", "30s", "89s", "91s", "1.5h", "0")),
          Map.entry(
              "vacuum_cost_delay",
              List.of("2ms", "101", "500us", "0.1s", "0.2s", "1e2", "-0.5", "0.0000001")),
          Map.entry(
              "seq_page_cost", List.of("1.5", "-1", "1e308", "1e309", "cheap", "1ms", "1e-400")),
          Map.entry(
              "jit",
              List.of("on", "ON", "of", "o", "t", "tr", "TRUE", "yess", "1", "0", "2", "", "No")),
          Map.entry("wal_level", List.of("replica", "LOGICAL", "hot_standby", "archive", "bogus")),
          Map.entry("synchronous_commit", List.of("true", "remote", "remote_apply", "On", "1")),
          Map.entry("huge_pages", List.of("try", "yes", "t")),
          Map.entry("log_min_messages", List.of("debug", "DEBUG1", "warning")),
          Map.entry("ssl_max_protocol_version", List.of("", "TLSv1.3", "TLSv9")),
          Map.entry("recovery_min_apply_delay", List.of("5min")),
          Map.entry("block_size", List.of("8192")),
          Map.entry("shared_bufers", List.of("1GB")),
          Map.entry("pg_trickle.enabled", List.of("whatever")),
          Map.entry("pg_trickle..x", List.of("1")));

  private static boolean root;

  @BeforeAll
  static void whoRuns() throws Exception {
    Process id = new ProcessBuilder("id", "-u").start();
    root =
        new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().equals("0");
  }

  /** The binaries of a major as hack/pg-parameters.sh finds them, if installed. */
  private static Optional<Path> binDir(int major) throws IOException {
    Path debian = Path.of("/usr/lib/postgresql", String.valueOf(major), "bin");
    if (Files.isExecutable(debian.resolve("postgres"))) {
      return Optional.of(debian);
    }
    Path root =
        Path.of(System.getenv().getOrDefault("PG_BINARIES_ROOT", "/opt/pg-trickle/postgresql"));
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (var versions = Files.list(root)) {
      return versions
          .filter(v -> v.getFileName().toString().startsWith(major + "."))
          .map(v -> v.resolve("bin"))
          .filter(bin -> Files.isExecutable(bin.resolve("postgres")))
          .findFirst();
    }
  }

  private static List<Integer> installedMajors() throws IOException {
    List<Integer> installed = new ArrayList<>();
    for (int major : MAJORS) {
      if (binDir(major).isPresent()) {
        installed.add(major);
      }
    }
    Assumptions.assumeFalse(
        installed.isEmpty(),
        "no PostgreSQL binaries under /usr/lib/postgresql or /opt/pg-trickle/postgresql: run"
            + " make deps-test to check the parameter catalogs against them");
    return installed;
  }

  private static int run(Path dir, List<String> command) throws Exception {
    List<String> full = new ArrayList<>();
    if (root) {
      full.addAll(
          List.of("setpriv", "--reuid=" + PG_USER, "--regid=" + PG_USER, "--clear-groups", "--"));
    }
    full.addAll(command);
    Process p =
        new ProcessBuilder(full)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.log").toFile())
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return p.exitValue();
  }

  @Test
  void theCommittedCatalogsAreWhatTheBinariesSayToday(@TempDir Path out) throws Exception {
    List<Integer> installed = installedMajors();
    List<String> command =
        new ArrayList<>(List.of(ROOT.resolve("hack/pg-parameters.sh").toString(), out.toString()));
    installed.forEach(m -> command.add(String.valueOf(m)));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(log).isZero();
    for (int major : installed) {
      Path committed =
          ROOT.resolve("operator/src/main/resources/postgresql-parameters/" + major + ".tsv");
      assertThat(Files.readString(out.resolve(major + ".tsv")))
          .as("PostgreSQL %d's catalog differs from its binaries: run make pg-parameters", major)
          .isEqualTo(Files.readString(committed));
    }
  }

  @Test
  void namesAndValuesAreTakenExactlyWhenPostgresqlAndPatroniTakeThem(@TempDir Path work)
      throws Exception {
    List<Integer> installed = installedMajors();
    Assumptions.assumeTrue(
        Files.isExecutable(PATRONI_PYTHON), "no Patroni at " + PATRONI_PYTHON + ": make deps-test");
    if (root) {
      new ProcessBuilder("chown", PG_USER + ":" + PG_USER, work.toString()).start().waitFor();
    }
    StringBuilder pairs = new StringBuilder();
    CORPUS.forEach((name, values) -> values.forEach(v -> pairs.append(name + "\t" + v + "\n")));
    Files.writeString(work.resolve("pairs.tsv"), pairs);
    List<String> disagreements = new ArrayList<>();
    int probes = 0;
    for (int major : installed) {
      Path bin = binDir(major).orElseThrow();
      Path data = work.resolve("data" + major);
      assertThat(run(work, List.of(bin.resolve("initdb").toString(), "-D", data.toString())))
          .isZero();
      assertThat(
              run(work, List.of(postgres(bin), "-D", data.toString(), "-C", "server_version_num")))
          .isZero();
      String versionNum = Files.readString(work.resolve("out.log")).strip();
      // What Patroni reads to know the binary's parameters.
      Files.writeString(
          work.resolve("gucs.tsv"), output(List.of(postgres(bin), "--describe-config")));
      String patroniTakes =
          output(
              List.of(
                  PATRONI_PYTHON.toString(),
                  "-c",
                  PATRONI_VERDICT,
                  versionNum,
                  work.resolve("gucs.tsv").toString(),
                  work.resolve("pairs.tsv").toString()));
      Set<String> patroni = Set.of(patroniTakes.split("\n"));
      for (Map.Entry<String, List<String>> e : CORPUS.entrySet()) {
        for (String value : e.getValue()) {
          String name = e.getKey();
          boolean postgres =
              run(
                      work,
                      List.of(
                          postgres(bin),
                          "-D",
                          data.toString(),
                          "-C",
                          name,
                          "-c",
                          name + "=" + value))
                  == 0;
          boolean passed = patroni.contains(name + "\t" + value);
          boolean ours =
              !PostgresqlParameters.OWNED.contains(name)
                  && ParameterCheck.check(major, Map.of(name, value)).isEmpty();
          probes++;
          if ((postgres && passed) != ours) {
            disagreements.add(
                String.format(
                    "PostgreSQL %d %s, Patroni %s, the operator %s %s='%s' (%s)",
                    major,
                    postgres ? "takes" : "refuses",
                    passed ? "passes" : "drops",
                    ours ? "takes" : "refuses",
                    name,
                    value,
                    Files.readString(work.resolve("out.log")).strip()));
          }
        }
      }
    }
    assertThat(probes).isGreaterThan(100);
    assertThat(disagreements).isEmpty();
  }

  private static String postgres(Path bin) {
    return bin.resolve("postgres").toString();
  }

  private static String output(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("%s", command).isZero();
    return out;
  }
}
