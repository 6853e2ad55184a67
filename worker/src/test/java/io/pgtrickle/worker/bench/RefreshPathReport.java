package io.pgtrickle.worker.bench;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.it.PipelineDb;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import io.pgtrickle.worker.refresh.Refresher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What {@link RefreshPathBench} prints: the refreshes' times and phases beside {@code REFRESH
 * MATERIALIZED VIEW}, the refresher's statements ({@code pg_stat_statements} of the roles {@value
 * RefreshPathBench#ROLE} and {@value RefreshPathBench#OWNER}), and one refresh's statements in
 * order from the server log.
 */
final class RefreshPathReport {

  private final PipelineDb db;
  private final SimpleMeterRegistry registry;

  RefreshPathReport(PipelineDb db, SimpleMeterRegistry registry) {
    this.db = db;
    this.registry = registry;
  }

  /** The measured refreshes of one stream table. */
  static final class Table {
    final String matview;
    final List<Double> ms = new ArrayList<>();
    final Map<String, Double> phases = new TreeMap<>();
    final Map<String, Integer> actions = new TreeMap<>();

    Table(String matview) {
      this.matview = matview;
    }

    /** A refresh: its wall time and phases (ms); it is counted without its ingest wait. */
    void add(double wall, Map<String, Double> spent, String action) {
      ms.add(wall - spent.getOrDefault("ingest_wait", 0.0));
      spent.forEach((k, v) -> phases.merge(k, v, Double::sum));
      actions.merge(action, 1, Integer::sum);
    }
  }

  /** Total ms per refresh phase so far ({@code pg_trickle_refresh_phase}). */
  Map<String, Double> phaseTotals() {
    Map<String, Double> out = new HashMap<>();
    for (Timer t : registry.find("pg_trickle_refresh_phase").timers()) {
      out.merge(t.getId().getTag("phase"), t.totalTime(TimeUnit.NANOSECONDS) / 1e6, Double::sum);
    }
    return out;
  }

  static Map<String, Double> minus(Map<String, Double> after, Map<String, Double> before) {
    Map<String, Double> out = new LinkedHashMap<>();
    after.forEach(
        (k, v) -> {
          double d = v - before.getOrDefault(k, 0.0);
          if (d > 0) {
            out.put(k, d);
          }
        });
    return out;
  }

  /** Prints each stream table's line; returns the machine-readable keys. */
  List<String> tables(
      Map<String, Table> tables,
      Map<String, List<Double>> matviews,
      Map<String, Long> ids,
      int changes) {
    List<String> keys = new ArrayList<>();
    tables.forEach(
        (name, t) -> {
          double median = median(t.ms);
          double mv = median(matviews.get(t.matview));
          List<String> phases = new ArrayList<>();
          t.phases.forEach(
              (k, v) -> phases.add(String.format(Locale.ROOT, "%s %.2f", k, v / t.ms.size())));
          System.out.printf(
              Locale.ROOT,
              "  %-12s median %6.2f ms (%.2f-%.2f) %s; %s %.2f ms, ratio %.1fx%n"
                  + "    phases (mean ms): %s%n",
              name,
              median,
              t.ms.stream().mapToDouble(d -> d).min().orElse(0),
              t.ms.stream().mapToDouble(d -> d).max().orElse(0),
              t.actions,
              t.matview,
              mv,
              mv / median,
              String.join(", ", phases));
          String reason =
              db.one(
                  "SELECT refresh_reason FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ?"
                      + " ORDER BY refresh_id DESC LIMIT 1",
                  ids.get(name));
          if (reason != null && reason.startsWith("AUTO")) {
            System.out.println("    last reason: " + reason);
          }
          keys.add(String.format(Locale.ROOT, "%s_%d_ms=%.2f", name, changes, median));
        });
    return keys;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  /** The refresher's statements since the last reset, heaviest first. */
  void statements(int refreshes) {
    System.out.println(
        "  statements of the refreshes (pg_stat_statements, roles "
            + RefreshPathBench.ROLE
            + " and "
            + RefreshPathBench.OWNER
            + "): calls per refresh, plans, mean plan ms, mean exec ms, statement");
    for (String line :
        db.column(
            // COPY statements name their window's bounds as literals: one line for them all.
            "SELECT format('  %s %s %s %s  %s', to_char(sum(calls)::numeric / ?, '990.00'),"
                + " to_char(sum(plans), '99990'),"
                + " to_char(sum(total_plan_time) / greatest(sum(plans), 1), '990.000'),"
                + " to_char(sum(total_exec_time) / nullif(sum(calls), 0), '990.000'), q)"
                + " FROM (SELECT *, left(regexp_replace(regexp_replace(query, '\\s+', ' ', 'g'),"
                + " '''[0-9A-F]+/[0-9A-F]+''', '''..''', 'g'), 140) AS q FROM pg_stat_statements"
                + " WHERE userid IN (?::regrole, ?::regrole)) s"
                + " GROUP BY q ORDER BY sum(total_exec_time + total_plan_time) DESC",
            refreshes, RefreshPathBench.ROLE, RefreshPathBench.OWNER)) {
      System.out.println(line);
    }
    System.out.println(
        "  statements per refresh: "
            + db.one(
                "SELECT round(sum(calls)::numeric / ?, 2) FROM pg_stat_statements"
                    + " WHERE userid IN (?::regrole, ?::regrole)",
                refreshes,
                RefreshPathBench.ROLE,
                RefreshPathBench.OWNER));
  }

  /** One refresh with every statement of the server logged; prints its connections' lines. */
  void trace(Refresher refresher, long pgtId) throws Exception {
    Path log =
        Path.of(db.one("SELECT current_setting('data_directory')"))
            .getParent()
            .resolve("postgres.log");
    db.sql(
        "ALTER SYSTEM SET log_line_prefix = '%m [%a] '",
        "ALTER SYSTEM SET log_min_duration_statement = 0", "SELECT pg_reload_conf()");
    ServerProcess.sleep(500);
    long from = Files.size(log);
    RefreshOutcome o = refresher.refresh(pgtId, false);
    db.sql(
        "ALTER SYSTEM RESET log_min_duration_statement",
        "ALTER SYSTEM RESET log_line_prefix",
        "SELECT pg_reload_conf()");
    String text = Files.readString(log).substring((int) from);
    System.out.printf(
        Locale.ROOT, "%none refresh of st_agg (%s), the server's log of its connections:%n", o);
    for (String line : text.split("\n")) {
      if (line.contains("[pgtrickle-worker local ") && line.contains("duration:")) {
        System.out.println("  " + (line.length() > 220 ? line.substring(0, 220) + "..." : line));
      }
    }
  }
}
