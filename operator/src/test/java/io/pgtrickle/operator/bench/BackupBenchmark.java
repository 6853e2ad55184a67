package io.pgtrickle.operator.bench;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.PodCommand;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestBed;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeoutException;

/**
 * {@code make bench-backup} (issue #16 §4): a one-member PostgresCluster (real Patroni, PostgreSQL
 * and pgBackRest 2.55.1) with its repository in the local S3 server (s3proxy over HTTPS), a
 * database of {@code bench.backup.mb} MB (default 2048, issue #16's 2 GB), then in the same run:
 *
 * <ul>
 *   <li>full backups to S3 with zstd (level 1, the operator's), {@code process-max} 1 and 2, and to
 *       a posix repository on disk (as a PVC repository is) at both: pgBackRest run in the
 *       primary's container through the exec API (the pod's own pgbackrest.conf, its socket and
 *       data directory, the superuser's password from the container's environment);
 *   <li>the operator's own backup of the same cluster to S3 ({@link OperatorBackupTiming}: a
 *       PostgresBackup, its Job's pod reading the member through its pgBackRest TLS server);
 *   <li>{@code pg_basebackup} of the same cluster in the same container (plain format, WAL
 *       streamed, no compression, to a scratch directory on disk: the single-threaded floor), and
 *       in tar format compressed by the server with zstd level 1 (pgBackRest's work, PostgreSQL
 *       15+);
 *   <li>restores of the process-max 2 backup to the scratch directory, {@code process-max} 1 and 2;
 *   <li>the archive lag under a write load: a marker committed every 250 ms, the time until {@code
 *       pg_stat_archiver.last_archived_wal} reaches the WAL file of its commit.
 * </ul>
 *
 * <p>MB/s = the cluster's size as pgBackRest reports it ({@code info.size} of the backup, bytes /
 * 10^6) over the wall-clock seconds of the command, the same numerator for every figure. The last
 * line is machine-readable.
 */
public final class BackupBenchmark {

  private static final int MB = Integer.getInteger("bench.backup.mb", 2048);
  private static final int LAG_SECONDS = Integer.getInteger("bench.backup.lagSeconds", 90);

  /** Rows of the write load per 100 ms tick (about 250 bytes of WAL each). */
  private static final int LOAD_ROWS = Integer.getInteger("bench.backup.loadRows", 800);

  private static final String BUCKET = "bench";

  /** pgBackRest's console log with a timestamped line per file, for {@link BackupPhases}. */
  private static final String DETAIL = "--log-level-console=detail";

  /**
   * Extra pgBackRest options for every benchmarked backup, space-separated ({@code
   * -Dbench.backup.options=--buffer-size=4MiB}): to try a setting before it goes into the
   * operator's configuration. Empty by default.
   */
  private static final List<String> OPTIONS = options("bench.backup.options");

  /**
   * Options of a second set of backups taken right after each benchmarked one ({@code
   * -Dbench.backup.compare=--no-repo1-bundle}), so that a setting's effect is measured in pairs on
   * the same database under the same load; the figures go to the {@code compare_*} keys. None by
   * default.
   */
  private static final List<String> COMPARE = options("bench.backup.compare");

  private static List<String> options(String property) {
    return List.of(System.getProperty(property, "").trim().split("\\s+")).stream()
        .filter(o -> !o.isEmpty())
        .toList();
  }

  private static final Duration LONG = Duration.ofHours(2);

  private final KubernetesClient client;
  private final String namespace;
  private final HaCluster cluster;

  /**
   * Where pg_basebackup and the restores write, in the pod's view: on the test bed the pod's own
   * {@code /tmp} shares the member volume's tmpfs (sized for the database and its WAL, {@code
   * testbed.volumesSize}), so a directory of the machine's disk (pods see the host's file system
   * outside their own mounts).
   */
  private final String scratch;

  private BackupBenchmark(KubernetesClient client, String namespace, HaCluster cluster) {
    this.client = client;
    this.namespace = namespace;
    this.cluster = cluster;
    this.scratch = "/var/tmp/pgtrickle-" + namespace;
  }

  public static void main(String[] args) throws Exception {
    TestBed testBed = TestBed.shared();
    testBed.applyGeneratedCrds();
    String namespace = "bench-backup-" + Long.toHexString(System.nanoTime() & 0xffffff);
    KubernetesClient client = testBed.client();
    client.namespaces().resource(TestBed.testNamespace(namespace)).create();
    int exit = 1;
    try (S3Server s3 = S3Server.start(testBed)) {
      s3.createBucket(BUCKET);
      secrets(client, namespace, s3);
      try (HaCluster cluster =
          HaCluster.startWith(
              testBed,
              namespace,
              "bench",
              HaCluster.testedMajor(),
              1,
              "  backup:\n"
                  + "    destination:\n"
                  + "      type: S3\n"
                  + "      endpoint: "
                  + s3.endpoint()
                  + "\n      bucket: "
                  + BUCKET
                  + "\n      region: us-east-1\n"
                  + "      credentialsSecret: s3-credentials\n"
                  + "      caSecret: s3-ca\n"
                  + "    compression: zstd\n"
                  // The first operator backup with one process, the second with two.
                  + "    processMax: 1\n")) {
        new BackupBenchmark(client, namespace, cluster).run();
        exit = 0;
      }
    } finally {
      testBed.deleteNamespace(namespace);
    }
    System.exit(exit);
  }

  private void run() throws Exception {
    String pod = cluster.primaryPod();
    check(sh(pod, Duration.ofMinutes(1), "mkdir -p -m 0700 " + scratch), "mkdir " + scratch);
    check(pgbackrest(pod, Duration.ofMinutes(5), "stanza-create"), "stanza-create");
    System.out.printf(Locale.ROOT, "loading %d MB into %s ...%n", MB, pod);
    load();

    boolean compare = !COMPARE.isEmpty();
    Result p1 = backup(pod, 1, OPTIONS);
    Result c1 = compare ? backup(pod, 1, COMPARE) : null;
    OperatorBackupTiming.Timing job =
        OperatorBackupTiming.run(
            client, namespace, "bench", "bench-job", LONG, () -> repositoryBackups(pod));
    setJobProcessMax(2);
    OperatorBackupTiming.Timing job2 =
        OperatorBackupTiming.run(
            client, namespace, "bench", "bench-job-2", LONG, () -> repositoryBackups(pod));
    Result p2 = backup(pod, 2, OPTIONS);
    Result c2 = compare ? backup(pod, 2, COMPARE) : null;
    double posix1 = posixBackup(pod, 1, p2.bytes, OPTIONS);
    double cposix1 = compare ? posixBackup(pod, 1, p2.bytes, COMPARE) : Double.NaN;
    double posix2 = posixBackup(pod, 2, p2.bytes, OPTIONS);
    double cposix2 = compare ? posixBackup(pod, 2, p2.bytes, COMPARE) : Double.NaN;
    double basebackup = basebackup(pod, p2.bytes);
    // The same work as pgBackRest's (zstd level 1, in the server as pgBackRest compresses in its
    // own process), for a comparison at equal compression; PostgreSQL 15+ only.
    double basebackupZstd =
        HaCluster.testedMajor() >= 15
            ? basebackup(pod, p2.bytes, "-Ft --compress=server-zstd:1")
            : Double.NaN;
    double restore1 = restore(pod, p2.label, 1, p2.bytes);
    double restore2 = restore(pod, p2.label, 2, p2.bytes);
    double lagP95 = archiveLag();
    sh(pod, Duration.ofMinutes(10), "rm -rf " + scratch);

    System.out.printf(
        Locale.ROOT,
        "database %.0f MB (pgBackRest info size), PostgreSQL %d, S3 (s3proxy, HTTPS), zstd level"
            + " 1%n",
        p2.bytes / 1e6,
        HaCluster.testedMajor());
    System.out.printf(
        Locale.ROOT,
        "backup  process-max 1: %.1f MB/s (%.1f s, repository %.0f MB)%n",
        p1.mbps,
        p1.seconds,
        p1.repoBytes / 1e6);
    System.out.printf(
        Locale.ROOT,
        "backup  process-max 2: %.1f MB/s (%.1f s, repository %.0f MB)%n",
        p2.mbps,
        p2.seconds,
        p2.repoBytes / 1e6);
    System.out.printf(
        Locale.ROOT,
        "backup to a volume (posix) process-max 1: %.1f MB/s, process-max 2: %.1f MB/s%n",
        posix1,
        posix2);
    for (OperatorBackupTiming.Timing t : List.of(job, job2)) {
      System.out.printf(
          Locale.ROOT,
          "the operator's backup (PostgresBackup to S3, a Job reading the member's TLS server,"
              + " processMax %d): %.1f MB/s end to end (%.1f s), %.1f MB/s in pgBackRest (%d s)%n",
          t == job ? 1 : 2,
          t.endToEndMbps(),
          t.endToEndSeconds(),
          t.pgBackRestMbps(),
          t.pgBackRestSeconds());
    }
    if (compare) {
      System.out.printf(
          Locale.ROOT,
          "compare, with %s: backup process-max 1: %.1f MB/s, process-max 2: %.1f MB/s;"
              + " to a volume process-max 1: %.1f MB/s, process-max 2: %.1f MB/s%n",
          String.join(" ", COMPARE),
          c1.mbps,
          c2.mbps,
          cposix1,
          cposix2);
    }
    System.out.printf(Locale.ROOT, "pg_basebackup (plain, -X stream): %.1f MB/s%n", basebackup);
    System.out.printf(
        Locale.ROOT, "pg_basebackup (tar, server-zstd:1, -X stream): %.1f MB/s%n", basebackupZstd);
    System.out.printf(
        Locale.ROOT,
        "restore process-max 1: %.1f MB/s, process-max 2: %.1f MB/s%n",
        restore1,
        restore2);
    String line =
        String.format(
            Locale.ROOT,
            "backup_mbps=%.1f basebackup_mbps=%.1f restore_mbps=%.1f archive_lag_p95_s=%.2f"
                + " backup_p1_mbps=%.1f restore_p1_mbps=%.1f pvc_backup_mbps=%.1f"
                + " pvc_backup_p1_mbps=%.1f basebackup_zstd_mbps=%.1f job_backup_mbps=%.1f"
                + " job_backup_pgbackrest_mbps=%.1f job_backup_p2_mbps=%.1f"
                + " job_backup_p2_pgbackrest_mbps=%.1f db_mb=%.0f",
            p2.mbps,
            basebackup,
            restore2,
            lagP95,
            p1.mbps,
            restore1,
            posix2,
            posix1,
            basebackupZstd,
            job.endToEndMbps(),
            job.pgBackRestMbps(),
            job2.endToEndMbps(),
            job2.pgBackRestMbps(),
            p2.bytes / 1e6);
    if (compare) {
      line +=
          String.format(
              Locale.ROOT,
              " compare_backup_mbps=%.1f compare_backup_p1_mbps=%.1f"
                  + " compare_pvc_backup_mbps=%.1f compare_pvc_backup_p1_mbps=%.1f",
              c2.mbps,
              c1.mbps,
              cposix2,
              cposix1);
    }
    System.out.println(line);
  }

  /**
   * About {@link #MB} MB of hard-to-compress rows (md5 text), one table per million rows (about 140
   * MB each), checkpointed. Several tables, as a real database has: pgBackRest shares the work
   * between its processes by file, and a single 1 GB table is one segment file that one process
   * would copy alone, whatever {@code process-max}.
   */
  private void load() throws Exception {
    // About 140 bytes per row on disk: header, int and 96 hex characters.
    long rows = MB * 1024L * 1024L / 140;
    long chunk = 1_000_000;
    long start = System.nanoTime();
    try (Connection c = longConnection()) {
      for (long from = 1; from <= rows; from += chunk) {
        long to = Math.min(rows, from + chunk - 1);
        String table = "bench_data_" + (from / chunk + 1);
        c.createStatement().execute("create table " + table + " (id bigint, payload text)");
        c.createStatement()
            .execute(
                "insert into "
                    + table
                    + " select g, md5(g::text) || md5((g * 7)::text) ||"
                    + " md5((g * 13)::text) from generate_series("
                    + from
                    + ", "
                    + to
                    + ") g");
        // Archiving at its own pace keeps every WAL file it has not pushed yet: let it catch up
        // after each chunk, so that the data and the WAL fit the member's volume.
        awaitArchived();
      }
      // What autovacuum would do to the new tables during the first backups (with data checksums
      // every page it marks all-visible is a full-page image in the WAL): done before any
      // backup, so every command below copies the same settled database.
      c.createStatement().execute("vacuum (analyze)");
      c.createStatement().execute("checkpoint");
      awaitArchived();
      try (ResultSet rs =
          c.createStatement().executeQuery("select pg_database_size(current_database())")) {
        rs.next();
        System.out.printf(
            Locale.ROOT,
            "loaded %d rows, database %.0f MB, in %.0f s%n",
            rows,
            rs.getLong(1) / 1e6,
            (System.nanoTime() - start) / 1e9);
      }
    }
  }

  /** Waits until the WAL written so far is archived (the current file closed and pushed). */
  private void awaitArchived() throws Exception {
    long start = System.nanoTime();
    String target;
    try (Connection c = longConnection();
        ResultSet rs =
            c.createStatement().executeQuery("select pg_walfile_name(pg_switch_wal())")) {
      rs.next();
      target = rs.getString(1);
    }
    while (lastArchived().compareTo(target) < 0) {
      if (System.nanoTime() - start > Duration.ofMinutes(30).toNanos()) {
        throw new IllegalStateException("the load's WAL was not archived within 30 min");
      }
      Thread.sleep(1000);
    }
    System.out.printf(
        Locale.ROOT,
        "WAL archived up to %s after %.0f s%n",
        target,
        (System.nanoTime() - start) / 1e9);
  }

  private record Result(String label, long bytes, long repoBytes, double seconds, double mbps) {}

  /**
   * Sets the cluster's {@code spec.backup.processMax} and waits until its pgbackrest.conf (the
   * ConfigMap the next Job's pod mounts) carries it.
   */
  private void setJobProcessMax(int processMax) throws InterruptedException {
    Edits.edit(
        client.resources(PostgresCluster.class).inNamespace(namespace).withName("bench"),
        c -> {
          c.getSpec().getBackup().setProcessMax(processMax);
          return c;
        });
    String line = "process-max=" + processMax + "\n";
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      ConfigMap map = client.configMaps().inNamespace(namespace).withName("bench-patroni").get();
      String conf = map == null ? null : map.getData().get(PgBackRest.CONFIG_KEY);
      if (conf != null && conf.contains(line)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("pgbackrest.conf has no " + line.trim() + " after 2 min");
      }
      Thread.sleep(200);
    }
  }

  /** The repository's backups, as {@code pgbackrest info} lists them in the pod. */
  private List<RepositoryBackup> repositoryBackups(String pod) {
    try {
      PodCommand.Result info = pgbackrest(pod, Duration.ofMinutes(5), "info", "--output=json");
      check(info, "info");
      return InfoParser.backups(info.stdout(), PgBackRest.STANZA);
    } catch (TimeoutException e) {
      throw new IllegalStateException("pgbackrest info timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private Result backup(String pod, int processMax, List<String> options) throws Exception {
    if (!options.isEmpty()) {
      System.out.printf(Locale.ROOT, "with %s:%n", String.join(" ", options));
    }
    long start = System.nanoTime();
    List<String> args =
        new ArrayList<>(List.of("backup", "--type=full", "--process-max=" + processMax, DETAIL));
    args.addAll(options);
    PodCommand.Result run = pgbackrest(pod, LONG, args.toArray(String[]::new));
    check(run, "backup process-max " + processMax);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        Locale.ROOT, "  phases: %s%n", BackupPhases.parse(run.stdout()).describe(seconds));
    List<RepositoryBackup> backups = repositoryBackups(pod);
    RepositoryBackup last = backups.get(backups.size() - 1);
    System.out.printf(
        Locale.ROOT,
        "backup process-max %d: %s, %.0f MB in %.1f s%n",
        processMax,
        last.label(),
        last.databaseBytes() / 1e6,
        seconds);
    return new Result(
        last.label(),
        last.databaseBytes(),
        last.repositoryBytes() == null ? 0 : last.repositoryBytes(),
        seconds,
        last.databaseBytes() / 1e6 / seconds);
  }

  /**
   * A full backup of the same cluster into a posix repository on the machine's disk (what a PVC
   * repository is on the test bed), with the pod's configuration but {@code --repo1-type=posix}:
   * the same compression and checksums without S3 and HTTPS. The cluster archives to S3, so the
   * backup does not wait for its stop WAL in this repository ({@code --no-archive-check}); it is
   * timed, not restored. Returns MB/s of {@code bytes}.
   */
  private double posixBackup(String pod, int processMax, long bytes, List<String> options)
      throws Exception {
    if (!options.isEmpty()) {
      System.out.printf(Locale.ROOT, "with %s:%n", String.join(" ", options));
    }
    String repo = scratch + "/posix-repo";
    sh(pod, Duration.ofMinutes(10), "rm -rf " + repo);
    String[] posix = {"--repo1-type=posix", "--repo1-path=" + repo};
    check(
        pgbackrest(pod, Duration.ofMinutes(5), posix[0], posix[1], "stanza-create"),
        "stanza-create posix");
    long start = System.nanoTime();
    List<String> args =
        new ArrayList<>(
            List.of(
                posix[0],
                posix[1],
                "backup",
                "--type=full",
                "--no-archive-check",
                "--process-max=" + processMax,
                DETAIL));
    args.addAll(options);
    PodCommand.Result run = pgbackrest(pod, LONG, args.toArray(String[]::new));
    check(run, "posix backup process-max " + processMax);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        Locale.ROOT, "  phases: %s%n", BackupPhases.parse(run.stdout()).describe(seconds));
    sh(pod, Duration.ofMinutes(10), "rm -rf " + repo);
    System.out.printf(
        Locale.ROOT, "backup to a volume (posix) process-max %d: %.1f s%n", processMax, seconds);
    return bytes / 1e6 / seconds;
  }

  private double basebackup(String pod, long bytes) throws Exception {
    return basebackup(pod, bytes, "-Fp");
  }

  /**
   * {@code pg_basebackup} with {@code format} and its options ({@code -Fp}, or {@code -Ft
   * --compress=server-zstd:1}), WAL streamed, fast checkpoint, into the scratch directory: MB/s of
   * {@code bytes}.
   */
  private double basebackup(String pod, long bytes, String format) throws Exception {
    sh(pod, Duration.ofMinutes(10), "rm -rf " + scratch + "/basebackup");
    long start = System.nanoTime();
    check(
        sh(
            pod,
            LONG,
            "PGPASSWORD=\"$PATRONI_REPLICATION_PASSWORD\" exec"
                + " \"${PATRONI_POSTGRESQL_BIN_DIR:+$PATRONI_POSTGRESQL_BIN_DIR/}pg_basebackup\""
                + " -h "
                + PgBackRest.SOCKET_DIR
                + " -U replicator -D "
                + scratch
                + "/basebackup "
                + format
                + " -X stream -c fast"),
        "pg_basebackup " + format);
    double seconds = (System.nanoTime() - start) / 1e9;
    sh(pod, Duration.ofMinutes(10), "rm -rf " + scratch + "/basebackup");
    System.out.printf(Locale.ROOT, "pg_basebackup %s: %.1f s%n", format, seconds);
    return bytes / 1e6 / seconds;
  }

  private double restore(String pod, String label, int processMax, long bytes) throws Exception {
    sh(
        pod,
        Duration.ofMinutes(10),
        "rm -rf " + scratch + "/restore && mkdir -m 0700 " + scratch + "/restore");
    long start = System.nanoTime();
    check(
        pgbackrest(
            pod,
            LONG,
            "restore",
            "--pg1-path=" + scratch + "/restore",
            "--set=" + label,
            "--type=immediate",
            // Not the container's spool directory (the archive queue of the running cluster).
            "--spool-path=/tmp/bench-spool",
            "--process-max=" + processMax),
        "restore process-max " + processMax);
    double seconds = (System.nanoTime() - start) / 1e9;
    sh(pod, Duration.ofMinutes(10), "rm -rf " + scratch + "/restore");
    System.out.printf(Locale.ROOT, "restore process-max %d: %.1f s%n", processMax, seconds);
    return bytes / 1e6 / seconds;
  }

  /**
   * The archive lag under a write load ({@link #LOAD_ROWS} rows every 100 ms): a marker committed
   * every 250 ms for {@link #LAG_SECONDS} seconds, its WAL file noted, and the seconds until {@code
   * last_archived_wal} reaches that file (the load goes on until the last marker is archived).
   * Returns the p95 over every marker.
   */
  private double archiveLag() throws Exception {
    List<long[]> lagsMillis = new ArrayList<>();
    List<Object[]> pending = new ArrayList<>();
    long end = System.nanoTime() + Duration.ofSeconds(LAG_SECONDS).toNanos();
    long walBefore;
    long loadStart = System.nanoTime();
    try (Connection load = longConnection();
        Connection marks = longConnection();
        Connection archiver = longConnection()) {
      load.createStatement().execute("create table bench_load (id bigint, payload text)");
      marks.createStatement().execute("create table bench_marks (at timestamptz)");
      walBefore = lsnBytes(archiver);
      long nextTick = System.nanoTime();
      long nextMark = System.nanoTime();
      long id = 0;
      while (System.nanoTime() < end || !pending.isEmpty()) {
        long now = System.nanoTime();
        // The load goes on until the last marker is archived: a load that stopped would leave
        // the last segment to archive_timeout, a quiet primary's lag, not this one's.
        if (now >= nextTick) {
          load.createStatement()
              .execute(
                  "insert into bench_load select g, md5(g::text) || md5((g * 3)::text) ||"
                      + " md5((g * 5)::text) from generate_series("
                      + (id + 1)
                      + ", "
                      + (id + LOAD_ROWS)
                      + ") g");
          id += LOAD_ROWS;
          nextTick += 100_000_000L;
        }
        if (now < end && now >= nextMark) {
          marks.createStatement().execute("insert into bench_marks values (now())");
          long committed = System.nanoTime();
          try (ResultSet rs =
              marks
                  .createStatement()
                  .executeQuery("select pg_walfile_name(pg_current_wal_lsn())")) {
            rs.next();
            pending.add(new Object[] {rs.getString(1), committed});
          }
          nextMark += 250_000_000L;
        }
        String archived;
        try (ResultSet rs =
            archiver
                .createStatement()
                .executeQuery("select coalesce(last_archived_wal, '') from pg_stat_archiver")) {
          rs.next();
          archived = rs.getString(1);
        }
        long seen = System.nanoTime();
        pending.removeIf(
            p -> {
              if (archived.compareTo((String) p[0]) >= 0) {
                lagsMillis.add(new long[] {(seen - (long) p[1]) / 1_000_000});
                return true;
              }
              return false;
            });
        if (System.nanoTime() - end > Duration.ofMinutes(5).toNanos()) {
          throw new IllegalStateException(
              pending.size() + " markers still not archived 5 min after the load");
        }
        Thread.sleep(50);
      }
      double walMb = (lsnBytes(archiver) - walBefore) / 1e6;
      double loadSeconds = Math.max(1, (System.nanoTime() - loadStart) / 1e9);
      List<Long> sorted = lagsMillis.stream().map(l -> l[0]).sorted().toList();
      double p50 = sorted.get(sorted.size() / 2) / 1000.0;
      double p95 = sorted.get((int) Math.ceil(sorted.size() * 0.95) - 1) / 1000.0;
      double max = sorted.get(sorted.size() - 1) / 1000.0;
      System.out.printf(
          Locale.ROOT,
          "archive lag over %d markers under %.1f MB/s of WAL (%.0f s): p50 %.2f s, p95 %.2f s,"
              + " max %.2f s (archive_timeout 60 s, 16 MB segments)%n",
          sorted.size(),
          walMb / loadSeconds,
          loadSeconds,
          p50,
          p95,
          max);
      return p95;
    }
  }

  private static long lsnBytes(Connection c) throws Exception {
    try (ResultSet rs =
        c.createStatement().executeQuery("select pg_current_wal_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private String lastArchived() throws Exception {
    try (Connection c = longConnection();
        ResultSet rs =
            c.createStatement()
                .executeQuery("select coalesce(last_archived_wal, '') from pg_stat_archiver")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** A superuser connection to the primary without the test helper's short socket timeout. */
  private Connection longConnection() throws Exception {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("password", cluster.password());
    props.setProperty("connectTimeout", "10");
    return DriverManager.getConnection(
        "jdbc:postgresql://" + cluster.primaryIp().orElseThrow() + ":5432/postgres", props);
  }

  /** pgBackRest in the pod's PostgreSQL container, as the operator's backups run it. */
  private PodCommand.Result pgbackrest(String pod, Duration timeout, String... args)
      throws TimeoutException, InterruptedException {
    List<String> command = new ArrayList<>(PgBackRest.RUN_WITH_PASSWORD);
    command.add("--stanza=" + PgBackRest.STANZA);
    command.addAll(List.of(args));
    return PodCommand.run(
        client,
        namespace,
        pod,
        ClusterStatefulSet.CONTAINER,
        timeout,
        command.toArray(String[]::new));
  }

  private PodCommand.Result sh(String pod, Duration timeout, String script)
      throws TimeoutException, InterruptedException {
    return PodCommand.run(
        client, namespace, pod, ClusterStatefulSet.CONTAINER, timeout, "sh", "-c", script);
  }

  private static void check(PodCommand.Result result, String what) {
    if (!result.ok()) {
      throw new IllegalStateException(
          what + " failed (exit " + result.exitCode() + "): " + result.tail());
    }
  }

  private static void secrets(KubernetesClient client, String namespace, S3Server s3) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("s3-credentials")
                .withNamespace(namespace)
                .endMetadata()
                .withStringData(
                    Map.of(
                        "AWS_ACCESS_KEY_ID", s3.accessKey(),
                        "AWS_SECRET_ACCESS_KEY", s3.secretKey()))
                .build())
        .create();
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("s3-ca")
                .withNamespace(namespace)
                .endMetadata()
                .withStringData(Map.of("ca.crt", s3.caPem()))
                .build())
        .create();
  }
}
