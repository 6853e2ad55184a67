package io.pgtrickle.cdc;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.cdc.config.CdcConfig;
import io.pgtrickle.cdc.config.ConfigException;
import io.pgtrickle.cdc.config.ConfigParser;
import io.pgtrickle.cdc.http.HttpEndpoints;
import io.pgtrickle.cdc.pipeline.CdcConsumer;
import io.pgtrickle.cdc.pipeline.CdcMetrics;
import io.pgtrickle.cdc.pipeline.ConsumerState;
import io.pgtrickle.cdc.slot.SlotManager;
import io.pgtrickle.cdc.slot.SourceConnections;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.ChangeLogConfigException;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
 * Exit codes: 0 done, 2 bad configuration, 1 any other failure.
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
    try {
      switch (command) {
        case "run" -> run(ConfigParser.parse(System.getenv(), rest));
        case "decommission" -> decommission(ConfigParser.parse(System.getenv(), rest));
        case "help", "--help" -> System.out.print(usage());
        default -> throw new ConfigException("unknown command '" + command + "'\n" + usage());
      }
    } catch (ConfigException | ChangeLogConfigException e) {
      LOG.error("bad configuration: {}", e.getMessage());
      System.exit(2);
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
    ConsumerState state = new ConsumerState();
    CdcMetrics metrics = new CdcMetrics(registry, state);
    CountDownLatch stopped = new CountDownLatch(1);
    try (ChangeLogBackend log = ChangeLogBackends.open(config.changeLogUri());
        HttpEndpoints http =
            new HttpEndpoints(config.httpPort(), state, config.maxLagBytes(), registry);
        CdcConsumer consumer = new CdcConsumer(config, log, state, metrics, null)) {
      LOG.info("serving /healthz, /readyz and /metrics on port {}", http.port());
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    LOG.info("stopping: publishing what was read and confirming it");
                    consumer.stop();
                    try {
                      stopped.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  },
                  "cdc-shutdown"));
      try {
        consumer.run();
      } finally {
        stopped.countDown();
      }
    }
  }

  private static void decommission(CdcConfig config) throws Exception {
    SlotManager slots =
        new SlotManager(config.slot(), config.publication(), config.tables(), false);
    try (Connection c = new SourceConnections(config).admin()) {
      if (slots.dropSlot(c)) {
        LOG.info("decommissioned: replication slot {} dropped", config.slot());
      } else {
        LOG.info("decommissioned: replication slot {} did not exist", config.slot());
      }
    }
  }
}
