package io.pgtrickle.cdc;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.cdc.capture.CaptureSet;
import io.pgtrickle.cdc.config.CdcConfig;
import io.pgtrickle.cdc.config.ConfigException;
import io.pgtrickle.cdc.config.ConfigParser;
import io.pgtrickle.cdc.config.SourceRefusedException;
import io.pgtrickle.cdc.http.HttpEndpoints;
import io.pgtrickle.cdc.pipeline.CdcConsumer;
import io.pgtrickle.cdc.pipeline.CdcMetrics;
import io.pgtrickle.cdc.pipeline.ConsumerState;
import io.pgtrickle.cdc.pipeline.SlotLostException;
import io.pgtrickle.cdc.slot.SlotManager;
import io.pgtrickle.cdc.slot.SourceConnections;
import io.pgtrickle.cdc.slot.StaleSlotCopies;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.Reachability;
import io.pgtrickle.program.http.ProbeServer;
import io.pgtrickle.telemetry.Telemetry;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pg_trickle_cdc} program.
 *
 * <pre>
 *   cdc-consumer [run] [--flag=value ...]      stream changes into the change log (the default)
 *   cdc-consumer decommission [--flag=value ...] drop this consumer's replication slot
 *   cdc-consumer help                            list the settings
 * </pre>
 *
 * Exit codes: 0 done (also after SIGTERM or SIGINT, once what was read is published and confirmed),
 * 2 bad configuration (a setting, a {@code --tables} table that does not exist or has no replica
 * identity, or a source that refuses the user, its password, the database or a privilege the
 * consumer needs, {@link SourceRefusedException}, naming the fix; a change log that cannot be
 * reached yet is waited for instead, {@link Reachability}), 3 the replication slot is lost (see the
 * message), 1 any other failure.
 */
public final class CdcConsumerMain {

  private static final Logger LOG = LoggerFactory.getLogger(CdcConsumerMain.class);

  private CdcConsumerMain() {}

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
        case "decommission" -> decommission(ConfigParser.parse(System.getenv(), rest));
        case "help", "--help" -> System.out.print(usage());
        default -> throw new ConfigException("unknown command '" + command + "'\n" + usage());
      }
    } catch (ConfigException | ChangeLogConfigException | SourceRefusedException e) {
      LOG.error("bad configuration: {}", e.getMessage());
      System.exit(2);
    } catch (SlotLostException e) {
      LOG.error("stopping for good: {}", e.getMessage());
      System.exit(3);
    } catch (Exception e) {
      LOG.error("cdc-consumer failed", e);
      System.exit(1);
    }
  }

  private static String usage() {
    return "usage: cdc-consumer [run|decommission|help] [--flag=value ...]\n"
        + "settings (flag, environment variable, default):\n"
        + ConfigParser.usage();
  }

  private static void run(CdcConfig config) throws Exception {
    LOG.info("starting: {}", config.describe());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set; /metrics serves the same meters.
    Telemetry telemetry = Telemetry.start(config.otlp(), "io.pgtrickle.cdc", registry);
    ConsumerState state = new ConsumerState();
    CdcMetrics metrics = new CdcMetrics(telemetry.registry(), state, telemetry.tracer());
    CountDownLatch stopRequested = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicReference<CdcConsumer> running = new AtomicReference<>();
    try (ProbeServer http =
        HttpEndpoints.start(
            config.httpAddress(), config.httpPort(), state, config.maxLagBytes(), registry)) {
      LOG.info("serving /healthz, /readyz and /metrics on port {}", http.port());
      Runnable stop =
          () -> {
            LOG.info("stopping: publishing what was read and confirming it");
            stopRequested.countDown();
            CdcConsumer c = running.get();
            if (c != null) {
              c.stop();
            }
          };
      if (!StopSignals.handle(stop)) {
        // No signal handler: the JVM's shutdown hook still stops cleanly, but exits with 143.
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      stop.run();
                      try {
                        stopped.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    },
                    "cdc-shutdown"));
      }
      try {
        // A change log that cannot be reached yet (starting, failing over) is waited for, alive
        // and not ready; a wrong setting still exits 2.
        ChangeLogBackend log =
            Reachability.openWhenReachable(
                config.changeLogUri(),
                (e, backoff) -> {
                  LOG.warn(
                      "cannot reach the change log yet (retrying in {} ms): {}",
                      backoff,
                      e.getMessage());
                  state.changeLogUnreachable(e.getMessage());
                  return !stopRequested.await(backoff, TimeUnit.MILLISECONDS);
                });
        if (log != null) {
          try (log;
              CdcConsumer consumer = new CdcConsumer(config, log, state, metrics, null)) {
            running.set(consumer);
            if (stopRequested.getCount() == 0) {
              consumer.stop(); // asked while it was being created
            }
            consumer.run();
          }
        }
      } finally {
        stopped.countDown();
      }
    }
    telemetry.close(); // the last spans and metrics, at most 5 s
    LOG.info("stopped");
    System.exit(0); // a clean stop, also after SIGTERM
  }

  /**
   * Drops the slot, undoes what the consumer did to its publication (drops it if the consumer
   * created it, else removes the tables it added) and gives up its catalog rows.
   */
  private static void decommission(CdcConfig config) throws Exception {
    SlotManager slots = new SlotManager(config.slot(), false);
    CaptureSet capture =
        new CaptureSet(
            config.slot(),
            config.publication(),
            config.tables(),
            config.catalog(),
            config.ordinal(),
            config.replicas(),
            problems -> {});
    SourceConnections connections = new SourceConnections(config);
    try (Connection c = connections.admin()) {
      if (slots.dropSlot(c)) {
        LOG.info("decommission: replication slot {} dropped", config.slot());
      } else {
        LOG.info("decommission: replication slot {} did not exist", config.slot());
      }
      List<String> copies =
          new StaleSlotCopies(
                  config.slot(),
                  new StaleSlotCopies.Policy(true, true),
                  connections::adminAt,
                  StaleSlotCopies.Members.resolving(config.sourceMembers()))
              .dropAllCopies(c);
      if (!copies.isEmpty()) {
        LOG.info(
            "decommission: dropped the copies of replication slot {} on {}", config.slot(), copies);
      }
      LOG.info("decommission: {}", capture.decommission(c));
    }
  }
}
