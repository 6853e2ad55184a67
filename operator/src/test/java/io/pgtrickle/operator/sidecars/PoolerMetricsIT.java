package io.pgtrickle.operator.sidecars;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.packaging.DashboardQueries;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.postgres.tls.ServedCertificate;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.operator.testbed.Psql;
import io.pgtrickle.operator.tls.TlsProbe;
import io.pgtrickle.testbed.FailureDiagnostics;
import io.pgtrickle.testbed.TestNamespace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed's production settings for the pooler and metrics (issue #17 sections 2 and 3), with real
 * Patroni, PostgreSQL, PgBouncer (Debian's 1.18) and postgres_exporter (Debian's 0.11) behind every
 * pod and TLS on: a cluster of 2 with {@code max_connections: 100}, {@code pgbouncer: {enabled:
 * true, poolMode: transaction, maxClientConn: 600}} and {@code metrics: {enabled: true}}. Clients
 * reach {@code NAME-pooler} through its virtual address (the test bed's kube-proxy), which follows
 * Patroni's role label.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolerMetricsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  /**
   * A failure carries every pod's state, Events and logs (PgBouncer's, Patroni's and PostgreSQL's)
   * and where the pooler Service's forwarder sends connections: "server closed the connection
   * unexpectedly" through NAME-pooler says nothing more by itself.
   */
  @RegisterExtension
  static final FailureDiagnostics DIAGNOSTICS = new FailureDiagnostics(NAMESPACE);

  private static final String NAME = "pooled";
  private static final String APP_PASSWORD = "app-secret-1";
  private static HaCluster cluster;
  private static Path caFile;

  @BeforeAll
  static void start() throws Exception {
    cluster =
        HaCluster.startWithSpec(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            NAME,
            "  version: "
                + HaCluster.testedMajor()
                + "\n  replicas: 2\n  storage:\n    size: 1Gi\n"
                + "  postgresqlParams:\n    max_connections: '100'\n"
                + "  tls:\n    enabled: true\n"
                + "  pgbouncer:\n    enabled: true\n    poolMode: transaction\n"
                + "    maxClientConn: 600\n"
                + "  metrics:\n    enabled: true\n",
            Duration.ofSeconds(300));
    caFile = Files.createTempFile("pooler-it-ca", ".crt");
    Files.writeString(caFile, secretText(NAME + "-ca", "ca.crt"));
    // An application role: PgBouncer's auth_query serves roles that are not superusers.
    try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow());
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE app LOGIN PASSWORD '" + APP_PASSWORD + "'");
      s.execute("CREATE TABLE IF NOT EXISTS writes (id bigserial PRIMARY KEY, at timestamptz)");
      s.execute("GRANT ALL ON writes TO app");
      s.execute("GRANT ALL ON SEQUENCE writes_id_seq TO app");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (caFile != null) {
      Files.deleteIfExists(caFile);
    }
  }

  @Test
  @Order(1)
  void fiveHundredClientsShareTheServerConnections() throws Exception {
    List<Connection> clients = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(() -> query(poolerConnection(), "select 1").equals("1"));
      for (int i = 0; i < 500; i++) {
        clients.add(poolerConnection());
      }
      List<Future<String>> results = new ArrayList<>();
      for (Connection c : clients) {
        results.add(pool.submit(() -> query(c, "select count(*) from (select pg_sleep(0.02)) s")));
      }
      for (Future<String> r : results) {
        assertThat(r.get()).isEqualTo("1");
      }
      // 500 clients open at once, against max_connections 100: PgBouncer's pool is what reaches
      // PostgreSQL (default_pool_size 25 for max_connections 100).
      long servers =
          cluster.queryLong("select count(*) from pg_stat_activity where usename = 'app'");
      assertThat(servers).isBetween(1L, 25L);
      String pools = Psql.run(adminConninfo(), poolerPassword(), "SHOW POOLS").output();
      assertThat(pools).as(pools).contains("postgres|app|");
    } finally {
      pool.shutdownNow();
      for (Connection c : clients) {
        c.close();
      }
    }
  }

  @Test
  @Order(2)
  void thePoolerVerifiesAsItsServiceNameAndShowsItsStats() {
    // verify-full against NAME-ca, by the pooler Service's DNS name.
    Psql.Result app =
        Psql.run(
            "host="
                + NAME
                + "-pooler."
                + NAMESPACE.name()
                + ".svc hostaddr="
                + poolerAddress()
                + " port=6432 user=app dbname=postgres sslmode=verify-full sslrootcert="
                + caFile,
            APP_PASSWORD,
            "select current_user");
    assertThat(app.ok()).as(app.output()).isTrue();
    assertThat(app.output()).isEqualTo("app");
    // PgBouncer's own statistics: its admin console, for the stats user of NAME-pgbouncer.
    Psql.Result stats = Psql.run(adminConninfo(), poolerPassword(), "SHOW STATS");
    assertThat(stats.ok()).as(stats.output()).isTrue();
    assertThat(stats.output()).contains("postgres|");
  }

  @Test
  @Order(3)
  void theExporterAndPatroniServeMetricsThatMoveUnderWrites() throws Exception {
    String primaryIp = cluster.primaryIp().orElseThrow();
    String replicaIp = replicaIp();
    String before = scrape(primaryIp);
    assertThat(value(before, "pg_up")).isEqualTo(1.0);
    assertThat(before)
        .contains("pg_stat_database_xact_commit{")
        .contains("pg_database_size_bytes{")
        .contains("pg_stat_activity_count{")
        .contains("pg_replication_lag_bytes{")
        .contains("pg_replication_lag_seconds{");
    double commits =
        value(before, "pg_stat_database_xact_commit\\{datid=\"[0-9]+\",datname=\"postgres\"");
    double wal = value(before, "pg_wal_position_bytes");
    try (Connection c = cluster.connect(primaryIp);
        Statement s = c.createStatement()) {
      for (int i = 0; i < 20; i++) {
        s.execute("insert into writes (at) select now() from generate_series(1, 500)");
      }
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              String after = scrape(primaryIp);
              assertThat(
                      value(
                          after,
                          "pg_stat_database_xact_commit\\{datid=\"[0-9]+\",datname=\"postgres\""))
                  .isGreaterThan(commits);
              assertThat(value(after, "pg_wal_position_bytes")).isGreaterThan(wal);
            });
    // The replica's exporter says it is one; Patroni's own /metrics over HTTPS (trusting NAME-ca).
    assertThat(value(scrape(replicaIp), "pg_replica_is_replica")).isEqualTo(1.0);
    // curl verifies the member's certificate by its DNS name under the headless Service.
    String member = NAME + "-0." + NAME + "-pods." + NAMESPACE.name() + ".svc";
    var curl =
        io.pgtrickle.testbed.TestBed.run(
            Path.of("."),
            Duration.ofSeconds(30),
            "curl",
            "-sS",
            "--fail",
            "--cacert",
            caFile.toString(),
            "--resolve",
            member + ":8008:" + cluster.podIp(NAME + "-0"),
            "https://" + member + ":8008/metrics");
    String patroni = curl.output();
    assertThat(curl.ok()).as(patroni).isTrue();
    assertThat(patroni).contains("patroni_postgres_running");
    // Every metric the chart's dashboard and alerts name (except the kubelet's volume figures) is
    // served by the exporters or Patroni of this running cluster.
    List<String> exprs = new ArrayList<>(DashboardQueries.dashboardExpressions());
    exprs.addAll(DashboardQueries.ruleExpressions());
    String served = scrape(primaryIp) + scrape(replicaIp) + patroni;
    java.util.Set<String> wanted = new java.util.TreeSet<>(DashboardQueries.metrics(exprs, "pg_"));
    // The stream tables' alerts name the CDC's and workers' metrics: StreamTableClusterPipelineIT.
    wanted.removeIf(name -> name.startsWith("pg_trickle_"));
    wanted.addAll(DashboardQueries.metrics(exprs, "patroni_"));
    assertThat(wanted).hasSizeGreaterThan(8);
    assertThat(DashboardQueries.missing(wanted, served))
        .as("dashboard metrics not served")
        .isEmpty();
  }

  @Test
  @Order(4)
  void replicationLagRisesWhileTheReplicaIsPaused() throws Exception {
    String replicaIp = replicaIp();
    try (Connection replica = cluster.connect(replicaIp);
        Statement s = replica.createStatement()) {
      // A paused startup process does not restart a WAL receiver that has stopped, so pause only
      // while the receiver streams (and has replayed a transaction, for the age in seconds).
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow());
                    Statement w = c.createStatement()) {
                  w.execute("insert into writes (at) values (now())");
                }
                assertThat(receiverState(s)).as(receiverState(s)).startsWith("streaming|true|");
              });
      s.execute("select pg_wal_replay_pause()");
      try {
        // Writes go on until the paused replica has received WAL it has not replayed (streaming
        // may take a while on a loaded machine).
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofSeconds(1))
            .untilAsserted(
                () -> {
                  try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow());
                      Statement w = c.createStatement()) {
                    w.execute("insert into writes (at) select now() from generate_series(1, 2000)");
                  }
                  String state = receiverState(s);
                  if (!state.startsWith("streaming|")) {
                    // The receiver stopped (a reconnect on a loaded machine): only the startup
                    // process restarts it, so let replay go on until it streams again.
                    s.execute("select pg_wal_replay_resume()");
                  } else if (state.endsWith("|not paused")) {
                    s.execute("select pg_wal_replay_pause()");
                  }
                  String metrics = scrape(replicaIp);
                  assertThat(value(metrics, "pg_replica_replay_lag_bytes"))
                      .as("replay lag bytes; replica: %s", state)
                      .isGreaterThan(0.0);
                  assertThat(value(metrics, "pg_replica_replay_lag_seconds"))
                      .as("replay lag seconds; replica: %s", state)
                      .isGreaterThan(0.0);
                });
      } finally {
        s.execute("select pg_wal_replay_resume()");
      }
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> assertThat(value(scrape(replicaIp), "pg_replica_replay_lag_bytes")).isZero());
  }

  @Test
  @Order(5)
  void aRenewedCertificateReachesEveryPgBouncerWithoutARestart() throws Exception {
    Map<String, String> uids = new TreeMap<>();
    for (String pod : List.of(NAME + "-0", NAME + "-1")) {
      uids.put(pod, cluster.podUid(pod));
    }
    try (TlsProbe tls = new TlsProbe(NAMESPACE, cluster)) {
      String before = TlsProbe.serial(tls.secretText(NAME + "-tls", "tls.crt"));
      // A server certificate near its end: the operator renews it and the pods' files follow.
      // PgBouncer reads its files only at start and on RELOAD, which the operator sends to each
      // PgBouncer still serving another one.
      CertificateAuthority.Issued old = tls.serveOneNearItsEnd();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofSeconds(2))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                String renewed = tls.renewedSerial(before, old);
                for (String pod : uids.keySet()) {
                  assertThat(
                          ServedCertificate.of(cluster.podIp(pod), 6432)
                              .map(c -> c.getSerialNumber().toString(16)))
                      .as("the certificate the PgBouncer of %s serves", pod)
                      .contains(renewed);
                }
              });
    }
    for (String pod : uids.keySet()) {
      assertThat(cluster.podUid(pod)).as(pod).isEqualTo(uids.get(pod));
    }
    // A verify-full client through the pooler, as before; retried for a while: while Patroni
    // reloads the renewed certificate its REST API restarts, and the test bed, which plays the
    // kubelet's readiness probe, takes a member out of its Services on one failed /health (the
    // kubelet waits for failureThreshold, 3, failures in a row). Once, in CI, the first connection
    // after the renewal was closed, most likely so (2026-12-02). A PgBouncer that never serves the
    // renewed certificate fails above; one that stops serving verify-full clients, here after 30 s.
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(this::thePoolerVerifiesAsItsServiceNameAndShowsItsStats);
  }

  @Test
  @Order(6)
  void aChangedPoolerSettingReachesEveryPgBouncerWithoutARestart() {
    Map<String, String> uids = new TreeMap<>();
    for (String pod : List.of(NAME + "-0", NAME + "-1")) {
      uids.put(pod, cluster.podUid(pod));
    }
    Edits.edit(
        NAMESPACE
            .client()
            .resources(PostgresCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName(NAME),
        c -> {
          c.getSpec().getPgbouncer().setMaxClientConn(700);
          return c;
        });
    // The ConfigMap and the pods' files follow; PgBouncer reads them only on RELOAD, which the
    // operator sends to each PgBouncer whose SHOW CONFIG differs.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              for (String pod : uids.keySet()) {
                Psql.Result config =
                    Psql.run(
                        "host="
                            + cluster.podIp(pod)
                            + " port=6432 user=pgbouncer dbname=pgbouncer sslmode=require",
                        poolerPassword(),
                        "SHOW CONFIG");
                assertThat(config.output()).as(pod).contains("max_client_conn|700|");
              }
            });
    for (String pod : uids.keySet()) {
      assertThat(cluster.podUid(pod)).as(pod).isEqualTo(uids.get(pod));
    }
  }

  @Test
  @Order(7)
  void aFailoverUnderPgbenchLoadRecoversThroughThePoolerWithoutReconfiguration() throws Exception {
    try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow());
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE pgbench_failover (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())");
      s.execute("GRANT ALL ON pgbench_failover TO app");
      s.execute("GRANT ALL ON SEQUENCE pgbench_failover_id_seq TO app");
    }
    Path script = Files.createTempFile("pgbench-failover", ".sql");
    Files.writeString(script, "INSERT INTO pgbench_failover DEFAULT VALUES;\n");
    // One command line throughout: the pooler Service's name (verify-full) and virtual address.
    String conninfo =
        "host="
            + NAME
            + "-pooler."
            + NAMESPACE.name()
            + ".svc hostaddr="
            + poolerAddress()
            + " port=6432 user=app dbname=postgres sslmode=verify-full sslrootcert="
            + caFile;
    long started = System.nanoTime();
    try (PgbenchLoop pgbench =
        new PgbenchLoop(
            PgbenchLoop.binary(HaCluster.testedMajor()), conninfo, APP_PASSWORD, script, 16, 3)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> pgbench.firstCleanRunStartedAfter(started).isPresent());
      long crashedAt = System.nanoTime();
      String newPrimary = cluster.crashPrimaryUntilFailover();
      long failedOverAt = System.nanoTime();
      long rowsBefore =
          await()
              .atMost(Duration.ofSeconds(30))
              .ignoreExceptions()
              .until(() -> countOn(newPrimary), n -> true);
      // A run started after that count: all its rows come on top of it.
      long countedAt = System.nanoTime();
      PgbenchLoop.Run after =
          await()
              .atMost(HaCluster.OBJECTIVE.plus(Duration.ofSeconds(60)))
              .until(() -> pgbench.firstCleanRunStartedAfter(countedAt), Optional::isPresent)
              .orElseThrow();
      // Every transaction of that run committed on the new primary: the pooler followed it (had it
      // stayed on the old member, back as a replica, the inserts would fail as read-only).
      assertThat(countOn(newPrimary) - rowsBefore).isGreaterThanOrEqualTo(after.processed());
      // The crash did break pgbench's connections (the old primary's PgBouncer died with it).
      List<PgbenchLoop.Run> broken =
          pgbench.runs().stream()
              .filter(r -> r.endedNanos() > crashedAt && r.startedNanos() < failedOverAt)
              .filter(r -> !r.clean())
              .toList();
      assertThat(broken).as("pgbench runs the crash interrupted").isNotEmpty();
      System.out.printf(
          "pooler failover under pgbench: clean again in a run started %.1f s after the crash"
              + " (%d runs failed in between), %d transactions, 0 failed, on %s%n",
          (after.startedNanos() - crashedAt) / 1e9, broken.size(), after.processed(), newPrimary);
    } finally {
      Files.deleteIfExists(script);
    }
    cluster.awaitRunning(Duration.ofSeconds(180));
  }

  /**
   * Turned off, the pooler's and the exporter's roles can no longer log in: before, {@code
   * pgbouncer} kept logging in and could still read every role's SCRAM verifier through {@code
   * pgbouncer.get_auth()}.
   */
  @Test
  @Order(8)
  void turnedOffThePoolersAndExportersRolesCannotLogIn() throws Exception {
    Edits.edit(
        NAMESPACE
            .client()
            .resources(PostgresCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName(NAME),
        c -> {
          c.getSpec().getPgbouncer().setEnabled(false);
          c.getSpec().getPgbouncer().setPoolMode(null);
          c.getSpec().getPgbouncer().setMaxClientConn(null);
          c.getSpec().getMetrics().setEnabled(false);
          return c;
        });
    await("the sidecars' roles cannot log in")
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(2))
        .ignoreExceptions()
        .until(
            () -> {
              try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow());
                  Statement s = c.createStatement();
                  var rs =
                      s.executeQuery(
                          "SELECT string_agg(rolname || '=' || rolcanlogin, ',' ORDER BY rolname)"
                              + " FROM pg_roles WHERE rolname IN ('pgbouncer',"
                              + " 'pgtrickle_monitoring')")) {
                rs.next();
                return rs.getString(1);
              }
            },
            "pgbouncer=false,pgtrickle_monitoring=false"::equals);
  }

  // --- helpers ---------------------------------------------------------------------------------

  private static String poolerAddress() {
    return cluster.pods().routing().virtualAddress(NAME + "-pooler").orElseThrow();
  }

  /**
   * A JDBC connection through the pooler as {@code app}, TLS required (the JDBC driver has no
   * {@code hostaddr}, so verify-full by name is checked with psql), no server-side prepared
   * statements (PgBouncer 1.18 in transaction mode cannot keep them).
   */
  private static Connection poolerConnection() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "app");
    props.setProperty("password", APP_PASSWORD);
    props.setProperty("sslmode", "require");
    props.setProperty("prepareThreshold", "0");
    props.setProperty("connectTimeout", "5");
    props.setProperty("socketTimeout", "10");
    return DriverManager.getConnection(
        "jdbc:postgresql://" + poolerAddress() + ":6432/postgres", props);
  }

  private static String adminConninfo() {
    return "host=" + poolerAddress() + " port=6432 user=pgbouncer dbname=pgbouncer sslmode=require";
  }

  private static String poolerPassword() {
    return secretText(NAME + "-pgbouncer", "password");
  }

  private static String query(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * The replica's WAL receiver and replay, one line: {@code status|has replayed a
   * transaction|receive LSN|replay LSN|pause state}, for assertions and their messages.
   */
  private static String receiverState(Statement replica) throws SQLException {
    try (var rs =
        replica.executeQuery(
            "select coalesce((select status from pg_stat_wal_receiver), 'no receiver')"
                + " || '|' || (pg_last_xact_replay_timestamp() is not null)"
                + " || '|' || coalesce(pg_last_wal_receive_lsn()::text, '-')"
                + " || '|' || coalesce(pg_last_wal_replay_lsn()::text, '-')"
                + " || '|' || pg_get_wal_replay_pause_state()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String replicaIp() {
    String primary = cluster.primaryPod();
    String replica = primary.equals(NAME + "-0") ? NAME + "-1" : NAME + "-0";
    return cluster.podIp(replica);
  }

  private static String scrape(String ip) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://" + ip + ":9187/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /** The value of the first series whose name (and labels) start with {@code prefix}. */
  private static double value(String metrics, String prefix) {
    Matcher m = Pattern.compile("(?m)^" + prefix + "[^ ]*\\s+([-+0-9.eE]+|NaN)$").matcher(metrics);
    assertThat(m.find()).as("series %s in%n%s", prefix, metrics).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static long countOn(String pod) throws SQLException {
    try (Connection c = cluster.connect(cluster.podIp(pod));
        Statement s = c.createStatement();
        var rs = s.executeQuery("select count(*) from pgbench_failover")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String secretText(String name, String key) {
    Secret secret = NAMESPACE.client().secrets().inNamespace(NAMESPACE.name()).withName(name).get();
    assertThat(secret).as("Secret " + name).isNotNull();
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}
