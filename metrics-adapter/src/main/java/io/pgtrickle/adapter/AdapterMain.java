package io.pgtrickle.adapter;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.adapter.auth.Authorizer;
import io.pgtrickle.adapter.auth.FrontProxyWatch;
import io.pgtrickle.adapter.config.AdapterConfig;
import io.pgtrickle.adapter.config.ConfigException;
import io.pgtrickle.adapter.config.ConfigParser;
import io.pgtrickle.adapter.http.AdapterMetrics;
import io.pgtrickle.adapter.http.ApiHandler;
import io.pgtrickle.adapter.http.ApiServer;
import io.pgtrickle.adapter.http.Health;
import io.pgtrickle.adapter.http.HttpEndpoints;
import io.pgtrickle.adapter.pipeline.PipelineMetrics;
import io.pgtrickle.adapter.sources.PodScraper;
import io.pgtrickle.adapter.tls.ApiServiceBundles;
import io.pgtrickle.adapter.tls.ServingCertificate;
import io.pgtrickle.program.http.ProbeServer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pg-trickle-metrics-adapter} program: an aggregated API server for {@code
 * custom.metrics.k8s.io} (see metrics-adapter/README.md).
 *
 * <pre>
 *   metrics-adapter [run] [--flag=value ...]   serve (the default)
 *   metrics-adapter help                       list the settings
 * </pre>
 *
 * Exit codes: 0 stopped, 2 bad configuration, 1 any other failure.
 */
public final class AdapterMain {

  private static final Logger LOG = LoggerFactory.getLogger(AdapterMain.class);

  private AdapterMain() {}

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
        case "help", "--help" -> System.out.print(usage());
        default -> throw new ConfigException("unknown command '" + command + "'\n" + usage());
      }
    } catch (ConfigException e) {
      LOG.error("bad configuration: {}", e.getMessage());
      System.exit(2);
    } catch (Exception e) {
      LOG.error("metrics-adapter failed", e);
      System.exit(1);
    }
  }

  private static String usage() {
    return "usage: metrics-adapter [run|help] [--flag=value ...]\n"
        + "settings (flag, environment variable, default):\n"
        + ConfigParser.usage();
  }

  private static void run(AdapterConfig config) throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "adapter-shutdown"));
    try (KubernetesClient client = new KubernetesClientBuilder().build();
        Running adapter = start(config, client)) {
      stop.await();
      LOG.info("stopping");
    }
  }

  /** A started adapter; closing stops it. */
  public interface Running extends AutoCloseable {
    /** The HTTPS port. */
    int securePort();

    /** The plain HTTP port (0: none). */
    int httpPort();

    @Override
    void close();
  }

  /**
   * Starts the adapter: serving certificate, front-proxy watch, HTTPS API, probes, caBundle sync.
   *
   * @param config the settings
   * @param client the Kubernetes client (the adapter's identity)
   * @return the running adapter
   * @throws Exception when it cannot start
   */
  public static Running start(AdapterConfig config, KubernetesClient client) throws Exception {
    LOG.info("starting: {}", config.describe());
    ServingCertificate cert =
        config.tlsCertFile() != null
            ? ServingCertificate.fromFiles(config.tlsCertFile(), config.tlsKeyFile())
            : ServingCertificate.fromSecret(
                client, config.namespace(), config.tlsSecret(), config.serviceDnsNames());
    FrontProxyWatch frontProxy = new FrontProxyWatch();
    frontProxy.start(client);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ExecutorService requests = Executors.newFixedThreadPool(8, threads("adapter-api"));
    ExecutorService scrapes = Executors.newFixedThreadPool(8, threads("adapter-scrape"));
    ScheduledExecutorService chores =
        Executors.newSingleThreadScheduledExecutor(threads("adapter-chores"));
    PodScraper scraper = new PodScraper(config.cacheTtl(), config.scrapeTimeout());
    PipelineMetrics metrics = new PipelineMetrics(client, scraper, scrapes);
    Authorizer authorizer =
        new Authorizer(client, config.authorizationCacheTtl(), Clock.systemUTC());
    ApiHandler handler = new ApiHandler(frontProxy::config, authorizer::authorize, metrics::query);
    boolean[] serving = {false};
    java.util.function.Supplier<Health.Verdict> readiness =
        () -> Health.readiness(frontProxy.loaded(), frontProxy.lastError(), serving[0]);
    ApiServer api =
        new ApiServer(
            config.bindAddress(),
            config.securePort(),
            cert.serving(),
            frontProxy,
            handler,
            readiness,
            new AdapterMetrics(registry),
            requests);
    serving[0] = true;
    ProbeServer http =
        config.httpPort() == 0 ? null : HttpEndpoints.start(config.httpPort(), readiness, registry);
    LOG.info(
        "serving custom.metrics.k8s.io on https port {}{}",
        api.port(),
        http == null ? "" : ", probes and /metrics on http port " + http.port());
    if (config.tlsCertFile() == null && !config.apiServices().isEmpty()) {
      ApiServiceBundles bundles =
          new ApiServiceBundles(
              client, config.apiServices(), config.namespace(), config.serviceName(), cert.caPem());
      chores.scheduleWithFixedDelay(
          () -> {
            try {
              bundles.sync();
            } catch (RuntimeException e) {
              LOG.warn("cannot update the APIServices' caBundle: {}", e.getMessage());
            }
          },
          0,
          60,
          TimeUnit.SECONDS);
    }
    chores.scheduleWithFixedDelay(scraper::evictIdle, 5, 5, TimeUnit.MINUTES);
    return new Running() {
      @Override
      public int securePort() {
        return api.port();
      }

      @Override
      public int httpPort() {
        return http == null ? 0 : http.port();
      }

      @Override
      public void close() {
        chores.shutdownNow();
        api.close();
        if (http != null) {
          http.close();
        }
        frontProxy.close();
        requests.shutdownNow();
        scrapes.shutdownNow();
      }
    };
  }

  private static ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
