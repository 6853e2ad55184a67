package io.pgtrickle.worker;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.Reachability;
import io.pgtrickle.program.http.ProbeServer;
import io.pgtrickle.telemetry.Telemetry;
import io.pgtrickle.worker.catalog.CatalogMigrations;
import io.pgtrickle.worker.config.ConfigException;
import io.pgtrickle.worker.config.ConfigParser;
import io.pgtrickle.worker.config.WorkerConfig;
import io.pgtrickle.worker.db.Database;
import io.pgtrickle.worker.db.DatabaseRefusal;
import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.dvm.DifferentialPlanner;
import io.pgtrickle.worker.http.HttpEndpoints;
import io.pgtrickle.worker.ingest.Ingest;
import io.pgtrickle.worker.ingest.IngestLeaseKeeper;
import io.pgtrickle.worker.refresh.BackendWatch;
import io.pgtrickle.worker.refresh.Plans;
import io.pgtrickle.worker.refresh.Refresher;
import io.pgtrickle.worker.runtime.CpuSampler;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import io.pgtrickle.worker.runtime.WorkerState;
import io.pgtrickle.worker.schedule.RefreshPool;
import io.pgtrickle.worker.schedule.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The worker program.
 *
 * <pre>
 *   worker [run] [--flag=value ...]       keep stream tables fresh (the default)
 *   worker migrate [--flag=value ...]     install or upgrade the pgtrickle catalog, then exit
 *   worker help                           list the settings
 * </pre>
 *
 * Exit codes: 0 done (also after SIGTERM, once drained), 2 bad configuration, 1 any other failure.
 */
public final class WorkerMain {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerMain.class);

  private WorkerMain() {}

  /**
   * Runs the program.
   *
   * @param args the subcommand and flags
   */
  public static void main(String[] args) {
    List<String> rest = new ArrayList<>(List.of(args));
    String command = !rest.isEmpty() && !rest.get(0).startsWith("--") ? rest.remove(0) : "run";
    // A typo in a variable's name would leave the default in force without a word.
    ConfigParser.unknownVariables(System.getenv()).forEach(m -> LOG.warn("{}", m));
    try {
      switch (command) {
        case "run" -> run(ConfigParser.parse(System.getenv(), rest));
        case "migrate" -> migrate(ConfigParser.parse(System.getenv(), rest));
        case "help", "--help" -> System.out.print(usage());
        default -> throw new ConfigException("unknown command '" + command + "'\n" + usage());
      }
    } catch (ConfigException | ChangeLogConfigException e) {
      LOG.error("bad configuration: {}", e.getMessage());
      System.exit(2);
    } catch (Exception e) {
      LOG.error("worker failed", e);
      System.exit(1);
    }
    System.exit(0);
  }

  private static String usage() {
    return "usage: worker [run|migrate|help] [--flag=value ...]\n"
        + "settings (flag, environment variable, default):\n"
        + ConfigParser.usage();
  }

  /**
   * Installs or upgrades the catalog.
   *
   * @throws ConfigException if the database refuses in a way retrying will not change ({@link
   *     DatabaseRefusal}), naming the fix
   */
  private static void migrate(WorkerConfig config) {
    CatalogMigrations.Result r;
    try {
      r =
          CatalogMigrations.migrate(
              config.databaseUrl(), config.databaseUser(), config.databasePassword());
    } catch (RuntimeException e) {
      Optional<String> fix =
          DatabaseRefusal.fix(
              e,
              config.databaseUser(),
              DatabaseRefusal.databaseOf(config.databaseUrl(), config.databaseUser()));
      if (fix.isPresent()) {
        throw new ConfigException(fix.get());
      }
      throw e;
    }
    LOG.info(
        "catalog at version {} (was {}, {} migrations applied)",
        r.version(),
        r.previousVersion(),
        r.migrationsApplied());
  }

  private static void run(WorkerConfig config) throws Exception {
    // SIGTERM at any moment, also during start-up, ends the run with a drain and exit 0.
    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), sig -> stop.countDown());
    Signal.handle(new Signal("INT"), sig -> stop.countDown());
    LOG.info("starting: {}", config.describe());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set; /metrics serves the same meters.
    WorkerState state = new WorkerState();
    try (Telemetry telemetry = Telemetry.start(config.otlp(), "io.pgtrickle.worker", registry);
        ProbeServer http =
            HttpEndpoints.start(
                config.httpAddress(), config.httpPort(), state, config.stuckAfter(), registry)) {
      WorkerMetrics metrics =
          new WorkerMetrics(telemetry.registry(), state, new CpuSampler(), telemetry.tracer());
      LOG.info("serving /healthz, /readyz and /metrics on port {}", http.port());
      // Fails fast, with exit 2, on a change-log URI the library refuses; waits (not ready, and
      // answering SIGTERM) while the change log cannot be reached yet.
      if (!changeLogReachable(config, state, stop)) {
        LOG.info("stopped before the change log could be reached");
        return;
      }
      if (!installCatalog(config, state, stop)) {
        LOG.info("stopped before the catalog was installed");
        return;
      }
      Database database = new Database(config);
      Lease lease = new Lease("ingest", config.workerId(), config.leaseDuration());
      IngestLeaseKeeper keeper = new IngestLeaseKeeper(database, lease, state);
      Ingest ingest =
          new Ingest(
              config,
              database,
              () -> ChangeLogBackends.open(config.changeLogUri()),
              lease,
              keeper,
              state,
              metrics);
      Plans plans = new Plans(new DifferentialPlanner());
      List<Refresher> refreshers = new ArrayList<>();
      for (int i = 1; i <= config.maxParallelRefreshes(); i++) {
        refreshers.add(
            new Refresher(
                database,
                "refresh-" + i,
                plans,
                metrics,
                config.refreshWaitTimeout(),
                config.maxConsecutiveErrors()));
      }
      RefreshPool pool = new RefreshPool(refreshers);
      BackendWatch backendWatch = new BackendWatch(database, refreshers);
      backendWatch.start();
      Scheduler scheduler = new Scheduler(config, database, pool, state, metrics);
      pool.onThreadFree(scheduler::wake);
      Thread keeperThread = start(keeper, "ingest-lease");
      Thread ingestThread = start(ingest, "ingest");
      Thread schedulerThread = start(scheduler, "scheduler");
      stop.await();
      LOG.info("draining: no new refreshes; finishing {} in progress", pool.runningCount());
      state.draining();
      scheduler.close();
      keeper.stopAcquiring();
      boolean finished = pool.drain(config.drainTimeout());
      ingest.close();
      keeper.close();
      join(schedulerThread, ingestThread, keeperThread);
      keeper.release();
      pool.close();
      backendWatch.close();
      LOG.info("drained ({})", finished ? "every refresh finished" : "some were cancelled");
    }
  }

  /**
   * Opens the change log once, retrying with back-off (1 s doubling to 30 s) while it cannot be
   * reached ({@link Reachability}): a server that is starting or failing over is not a
   * configuration error.
   *
   * @return false if a stop was requested first
   * @throws ChangeLogConfigException if the change-log URI or its settings are wrong (exit 2)
   */
  private static boolean changeLogReachable(
      WorkerConfig config, WorkerState state, CountDownLatch stop) throws InterruptedException {
    if (stop.getCount() == 0) {
      return false;
    }
    ChangeLogBackend log =
        Reachability.openWhenReachable(
            config.changeLogUri(),
            (e, backoff) -> {
              LOG.warn(
                  "cannot reach the change log yet (retrying in {} ms): {}",
                  backoff,
                  e.getMessage());
              state.error("change log: " + e.getMessage());
              state.schedulerRound(false); // alive, not ready: a restart would not reach it sooner
              return !stop.await(backoff, TimeUnit.MILLISECONDS);
            });
    if (log == null) {
      return false;
    }
    log.close();
    return true;
  }

  /**
   * Installs or upgrades the catalog, retrying while the database cannot be reached.
   *
   * @return false if a stop was requested first
   * @throws ConfigException if the database refuses in a way retrying will not change (wrong
   *     password, no such role or database, no pg_hba entry, a missing privilege; {@link
   *     DatabaseRefusal}): exit 2 naming the fix
   */
  private static boolean installCatalog(WorkerConfig config, WorkerState state, CountDownLatch stop)
      throws InterruptedException {
    long backoff = 1_000;
    while (stop.getCount() > 0) {
      try {
        migrate(config);
        state.catalogReady();
        return true;
      } catch (ConfigException e) {
        throw e; // retrying will not change it: exit 2
      } catch (RuntimeException e) {
        LOG.warn("cannot install the catalog yet (retrying in {} ms): {}", backoff, e.getMessage());
        state.error("catalog: " + e.getMessage());
        state.schedulerRound(false);
        if (stop.await(backoff, TimeUnit.MILLISECONDS)) {
          break;
        }
        backoff = Math.min(30_000, backoff * 2);
      }
    }
    return false;
  }

  private static Thread start(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void join(Thread... threads) {
    for (Thread t : threads) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
