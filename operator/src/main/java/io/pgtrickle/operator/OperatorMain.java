package io.pgtrickle.operator;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.operator.backup.PostgresBackupReconciler;
import io.pgtrickle.operator.postgres.PostgresClusterReconciler;
import io.pgtrickle.operator.runtime.HealthServer;
import io.pgtrickle.operator.runtime.HealthServer.Probe;
import io.pgtrickle.operator.runtime.OperatorConfig;
import io.pgtrickle.operator.runtime.OperatorMetrics;
import io.pgtrickle.operator.streams.StreamTableClusterReconciler;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the operator. The Kubernetes client is configured the standard way: in a pod from
 * its ServiceAccount, elsewhere from {@code KUBECONFIG} or {@code ~/.kube/config}. Settings come
 * from the environment ({@link OperatorConfig}).
 */
public final class OperatorMain {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

  /** Long enough to ride out an API server hiccup, short enough for a quick takeover. */
  static final Duration LEASE_DURATION = Duration.ofSeconds(15);

  static final Duration RENEW_DEADLINE = Duration.ofSeconds(10);
  static final Duration RETRY_PERIOD = Duration.ofSeconds(2);
  static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(20);

  private OperatorMain() {}

  public static void main(String[] args) throws IOException {
    OperatorConfig config;
    try {
      config = OperatorConfig.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      LOG.error("{}", e.getMessage());
      System.exit(2);
      return;
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);

    // Without leader election this replica is always the one reconciling.
    AtomicBoolean leading = new AtomicBoolean(!config.leaderElection());
    Operator operator =
        new Operator(
            o -> {
              o.withMetrics(new OperatorMetrics(registry))
                  .withStopOnInformerErrorDuringStartup(true)
                  .withReconciliationTerminationTimeout(SHUTDOWN_GRACE);
              if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(leaderElection(config, leading));
              }
            });
    operator.register(
        new PostgresClusterReconciler(ApiServerFeatures.detect(operator.getKubernetesClient())),
        c -> {
          if (!config.watchNamespaces().isEmpty()) {
            c.settingNamespaces(config.watchNamespaces());
          }
        });
    operator.register(
        new PostgresBackupReconciler(java.time.Clock.systemUTC(), config.backupJobTtlSeconds()),
        c -> {
          if (!config.watchNamespaces().isEmpty()) {
            c.settingNamespaces(config.watchNamespaces());
          }
        });
    operator.register(
        new StreamTableClusterReconciler(),
        c -> {
          if (!config.watchNamespaces().isEmpty()) {
            c.settingNamespaces(config.watchNamespaces());
          }
        });
    HealthServer health =
        new HealthServer(
            config.httpPort(),
            () -> liveness(operator.getRuntimeInfo(), leading.get()),
            () -> readiness(operator.getRuntimeInfo(), leading.get()),
            registry);
    Runtime.getRuntime().addShutdownHook(new Thread(health::close, "health-shutdown"));
    operator.installShutdownHook(SHUTDOWN_GRACE);
    try {
      operator.start();
    } catch (RuntimeException e) {
      // An informer that could not start (the API server too slow to answer its first list, RBAC
      // missing) stops the operator; its HTTP server would keep this JVM up and /healthz passing
      // with nothing reconciling. Exit instead, so the pod is restarted.
      LOG.error("the operator could not start; exiting: {}", e.toString());
      System.exit(1);
    }
    LOG.info(
        "pg-trickle operator started: namespaces {}, leader election {}, http port {}",
        config.watchNamespaces().isEmpty() ? "all" : config.watchNamespaces(),
        config.leaderElection() ? "on (lease " + config.leaseName() + ")" : "off",
        health.port());
  }

  /**
   * A replica that loses the Lease exits at once (JOSDK's exit-on-stop-leading), so it can never
   * reconcile beside the new leader; Kubernetes restarts it as a standby.
   */
  static LeaderElectionConfiguration leaderElection(OperatorConfig config, AtomicBoolean leading) {
    String identity =
        Optional.ofNullable(System.getenv("HOSTNAME"))
            .orElse("operator-" + ProcessHandle.current().pid());
    LeaderCallbacks callbacks =
        new LeaderCallbacks(
            () -> {
              leading.set(true);
              LOG.info("{} became the leader", identity);
            },
            () -> {
              leading.set(false);
              LOG.warn("{} lost the leadership; exiting", identity);
            },
            leader -> LOG.info("leader is {}", leader));
    return new LeaderElectionConfiguration(
        config.leaseName(),
        config.operatorNamespace(),
        LEASE_DURATION,
        RENEW_DEADLINE,
        RETRY_PERIOD,
        identity,
        callbacks,
        true);
  }

  /** Alive unless reconciling with an informer that stopped working. */
  static Probe liveness(RuntimeInfo runtime, boolean leading) {
    if (leading && runtime.isStarted() && !runtime.allEventSourcesAreHealthy()) {
      return Probe.failing("unhealthy event sources: " + runtime.unhealthyEventSources().keySet());
    }
    return Probe.ok("ok");
  }

  /** Ready when reconciling with every informer synced, or when standing by for the Lease. */
  static Probe readiness(RuntimeInfo runtime, boolean leading) {
    if (!leading) {
      return Probe.ok("standby");
    }
    if (!runtime.isStarted()) {
      return Probe.failing("starting");
    }
    return runtime.allEventSourcesAreHealthy()
        ? Probe.ok("ready")
        : Probe.failing("unhealthy event sources: " + runtime.unhealthyEventSources().keySet());
  }
}
