package io.pgtrickle.worker.it;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgtrickle.worker.config.ConfigParser;
import io.pgtrickle.worker.config.WorkerConfig;
import io.pgtrickle.worker.db.Database;
import io.pgtrickle.worker.refresh.FullPlanner;
import io.pgtrickle.worker.refresh.MaintenancePlanner;
import io.pgtrickle.worker.refresh.Plans;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import io.pgtrickle.worker.refresh.Refresher;
import io.pgtrickle.worker.runtime.CpuSampler;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import io.pgtrickle.worker.runtime.WorkerState;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The worker's refresh code run inside the test (no scheduler, no ingest, no cdc-consumer), so a
 * test decides exactly which stream table is refreshed when. Sources nobody captures are refreshed
 * FULL, as the worker does before the CDC captures them.
 */
final class LocalRefresher implements AutoCloseable {

  private final Refresher refresher;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /**
   * A refresher on the test database.
   *
   * @param db the database
   * @param role the connections' role name (in {@code application_name}: {@code pgtrickle-worker
   *     <id> <role>})
   */
  LocalRefresher(PipelineDb db, String role) {
    this(db, role, new FullPlanner());
  }

  /**
   * A refresher with a planner of the caller's choice (e.g. the differential engine's).
   *
   * @param db the database
   * @param role the connections' role name
   * @param planner the planner
   */
  LocalRefresher(PipelineDb db, String role, MaintenancePlanner planner) {
    WorkerConfig config =
        ConfigParser.parse(
            Map.of(
                "PGTRICKLE_DATABASE_URL", db.jdbcUrl(),
                "PGTRICKLE_CHANGELOG_URI", db.changeLogUri(),
                "PGTRICKLE_WORKER_ID", "local"),
            List.of());
    refresher =
        new Refresher(
            new Database(config),
            role,
            new Plans(planner),
            new WorkerMetrics(registry, new WorkerState(), new CpuSampler()),
            Duration.ofSeconds(30),
            3);
  }

  /** Refreshes one stream table however it ends. */
  RefreshOutcome attempt(long pgtId) {
    return refresher.refresh(pgtId, true);
  }

  /** Refreshes one stream table; fails unless the refresh completed. */
  RefreshOutcome refresh(long pgtId) {
    RefreshOutcome o = refresher.refresh(pgtId, true);
    if (o.kind() != RefreshOutcome.Kind.COMPLETED) {
      throw new IllegalStateException("refresh of " + pgtId + " did not complete: " + o);
    }
    return o;
  }

  /**
   * How many completed refreshes went through a phase ({@code pg_trickle_refresh_phase}).
   *
   * @param phase e.g. {@code window_copy}
   * @return the count over every mode
   */
  long phaseCount(String phase) {
    return registry.find("pg_trickle_refresh_phase").tag("phase", phase).timers().stream()
        .mapToLong(t -> t.count())
        .sum();
  }

  /**
   * How many refreshes were retried for an SQLSTATE ({@code pg_trickle_refresh_retries}).
   *
   * @param sqlstate e.g. {@code 40P01}
   * @return the count
   */
  double retries(String sqlstate) {
    var c = registry.find("pg_trickle_refresh_retries").tag("sqlstate", sqlstate).counter();
    return c == null ? 0 : c.count();
  }

  @Override
  public void close() {
    refresher.close();
  }
}
