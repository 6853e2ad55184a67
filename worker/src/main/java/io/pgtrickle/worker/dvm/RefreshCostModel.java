package io.pgtrickle.worker.dvm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * AUTO's choice between a differential and a full refresh, from measured costs of this stream table
 * (never from a fixed fraction): the full refresh's duration, and the differential refreshes'
 * (changes, duration) pairs. A full refresh is estimated by the minimum of the last {@value
 * #WINDOW} durations (delays on a busy server only ever add time, so the minimum is the steadiest
 * estimate of the real cost). A differential refresh of n changes is estimated from each of the
 * last {@value #WINDOW} measurements (n_i, t_i) as t_i x max(1, n / n_i), and the smallest estimate
 * is taken: a batch no larger than a measured one is assumed to cost no more than it did (a refresh
 * has a fixed part: statements, plans, the window's copy, that does not shrink with the batch), a
 * larger one proportionally more. A differential refresh is chosen unless its estimate exceeds the
 * full refresh's. Until {@value #TRUST_AFTER} differential refreshes have been measured, they are
 * tried (in a row: the first run of a statement plans it and warms its caches, and one slow
 * measurement on a busy machine must not decide), and after {@value #EXPLORE_AFTER} full refreshes
 * in a row one is tried again, so that slow measurements do not decide forever.
 *
 * <p>Before both costs are measured (the differential's {@value #TRUST_AFTER} times), {@link
 * #decide(long, double)} also recomputes a batch that is clearly large: at least {@value
 * #LARGE_FRACTION} of the sources' estimated rows ({@code pg_class.reltuples}), where applying it
 * cannot be cheaper than reading the sources once. The decision needs only the number of pending
 * changes, so the caller can make it before it loads the batch and skip the load when the answer is
 * FULL. While the full estimate is only the first population's (often slow: cold caches, first
 * plans), a differential refresh predicted at more than {@value #MEASURE_FULL_ABOVE} of it makes
 * AUTO measure one recompute instead.
 *
 * <p>Not thread-safe: one instance per stream table, used by the worker that claims it. The runtime
 * keeps it in the catalog ({@code pgt_stream_tables.cost_model}, {@link #toJson}, {@link
 * #restore}), so that every worker decides from every worker's measurements: a worker that only
 * knew its own never measured a full refresh of a table another worker had populated, and so always
 * applied it differentially, however much slower.
 */
public final class RefreshCostModel {

  /** Measurements remembered per kind. */
  static final int WINDOW = 4;

  /** Differential measurements needed before they are compared with the full refresh's. */
  static final int TRUST_AFTER = 2;

  /** Full refreshes chosen in a row after which a differential one is measured again. */
  static final int EXPLORE_AFTER = 8;

  /**
   * The fraction of the sources' estimated rows at which a batch is recomputed while a cost is not
   * measured yet.
   */
  static final double LARGE_FRACTION = 0.5;

  /**
   * While the full estimate is the first population's only, a differential refresh predicted at
   * more than this fraction of it makes AUTO measure one recompute of the populated table.
   */
  static final double MEASURE_FULL_ABOVE = 0.5;

  private static final ObjectMapper JSON = new ObjectMapper();

  private int fullsInARow;

  /** Differential refreshes chosen in a row while the full estimate is the first population's. */
  private int differentialsInARow;

  /** Whether {@link #full} holds first populations only. */
  private boolean initialOnly;

  /**
   * The model's memory, newest last.
   *
   * @param full recent full refresh durations (ms)
   * @param differentialChanges change rows of the recent differential refreshes
   * @param differentialMs their durations (ms), same order
   */
  public record State(double[] full, long[] differentialChanges, double[] differentialMs) {}

  /** The verdict and why, for {@code pgt_refresh_history.refresh_reason}. */
  public record Decision(boolean full, String reason) {}

  private record Sample(long changes, double ms) {}

  /** Rows stored by the last recompute (-1: none measured by this worker). */
  private long lastRecomputeRows = -1;

  private final Deque<Double> full = new ArrayDeque<>();
  private final Deque<Sample> differential = new ArrayDeque<>();

  public RefreshCostModel() {}

  public RefreshCostModel(State state) {
    for (double v : state.full()) {
      remember(full, v);
    }
    for (int i = 0; i < state.differentialChanges().length; i++) {
      remember(differential, new Sample(state.differentialChanges()[i], state.differentialMs()[i]));
    }
  }

  /**
   * The whole memory, exploration counter included, as JSON: {@code {"full": [ms, ...],
   * "differential": [[changes, ms], ...], "fullsInARow": n, "differentialsInARow": n,
   * "initialOnly": bool, "lastRecomputeRows": n}}, oldest first.
   *
   * @return the JSON text
   */
  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    ArrayNode f = o.putArray("full");
    full.forEach(f::add);
    ArrayNode d = o.putArray("differential");
    differential.forEach(x -> d.addArray().add(x.changes()).add(x.ms()));
    o.put("fullsInARow", fullsInARow);
    o.put("differentialsInARow", differentialsInARow);
    o.put("initialOnly", initialOnly);
    o.put("lastRecomputeRows", lastRecomputeRows);
    return o.toString();
  }

  /**
   * Replaces the memory with {@link #toJson}'s output (the last refresh's, by whichever worker,
   * from the catalog); {@code null} (nothing measured yet, or the query was replaced) empties it.
   * Text that does not parse as that shape leaves the memory as it is (the next write replaces it).
   *
   * @param json the JSON text, or {@code null}
   * @return whether the memory was replaced
   */
  public boolean restore(String json) {
    if (json == null) {
      full.clear();
      differential.clear();
      fullsInARow = 0;
      differentialsInARow = 0;
      initialOnly = false;
      lastRecomputeRows = -1;
      return true;
    }
    try {
      JsonNode o = JSON.readTree(json);
      JsonNode f = o.path("full");
      JsonNode d = o.path("differential");
      if (!f.isArray() || !d.isArray()) {
        return false;
      }
      Deque<Double> newFull = new ArrayDeque<>();
      for (JsonNode v : f) {
        if (!v.isNumber()) {
          return false;
        }
        remember(newFull, v.asDouble());
      }
      Deque<Sample> newDifferential = new ArrayDeque<>();
      for (JsonNode v : d) {
        if (!v.isArray() || v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()) {
          return false;
        }
        remember(newDifferential, new Sample(v.get(0).asLong(), v.get(1).asDouble()));
      }
      full.clear();
      full.addAll(newFull);
      differential.clear();
      differential.addAll(newDifferential);
      fullsInARow = o.path("fullsInARow").asInt(0);
      differentialsInARow = o.path("differentialsInARow").asInt(0);
      initialOnly = o.path("initialOnly").asBoolean(false);
      lastRecomputeRows = o.path("lastRecomputeRows").asLong(-1);
      return true;
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  public State state() {
    return new State(
        full.stream().mapToDouble(Double::doubleValue).toArray(),
        differential.stream().mapToLong(Sample::changes).toArray(),
        differential.stream().mapToDouble(Sample::ms).toArray());
  }

  /** The estimated duration (ms) of a differential refresh of {@code changes} change rows. */
  double predict(long changes) {
    return differential.stream()
        .mapToDouble(s -> s.ms() * Math.max(1.0, (double) changes / s.changes()))
        .min()
        .orElse(Double.NaN);
  }

  /**
   * The choice for a batch of {@code changes} change rows of sources with about {@code sourceRows}
   * rows (pure: needs no database, so it can be made before the batch is loaded).
   *
   * @param changes pending change rows, all sources together
   * @param sourceRows the sources' estimated rows (sum of {@code reltuples}); 0 or less if unknown
   * @return the verdict and why
   */
  public Decision decide(long changes, double sourceRows) {
    if ((differential.size() < TRUST_AFTER || full.isEmpty())
        && sourceRows > 0
        && changes >= LARGE_FRACTION * sourceRows) {
      return new Decision(
          true,
          String.format(
              Locale.ROOT,
              "%d changes are %.0f%% of the sources' estimated %.0f rows (%s not measured"
                  + " yet)",
              changes,
              100.0 * changes / sourceRows,
              sourceRows,
              differential.size() < TRUST_AFTER ? "differential" : "full"));
    }
    return decide(changes);
  }

  /** The choice for a window of {@code changes} change rows (all sources together). */
  public Decision decide(long changes) {
    if (differential.isEmpty()) {
      return new Decision(false, "no differential refresh measured yet");
    }
    if (differential.size() < TRUST_AFTER) {
      // One differential measurement is thin evidence (the statement's first run plans it and
      // warms its caches; a busy moment makes any run 5-10x slow): measure it again right away,
      // before comparing, rather than after a full refresh (which reached the steady choice one
      // refresh later, and measured the differential again among the full refreshes).
      return new Decision(
          false,
          String.format(
              Locale.ROOT,
              "measuring it again (%d measurement so far: %.1f ms for %d changes)",
              differential.size(),
              differential.peekLast().ms(),
              differential.peekLast().changes()));
    }
    double predicted = predict(changes);
    if (!full.isEmpty() && predicted > min(full)) {
      if (++fullsInARow > EXPLORE_AFTER) {
        fullsInARow = 0;
        return new Decision(
            false,
            String.format(
                Locale.ROOT,
                "measured again after %d full refreshes (predicted %.1f ms, full" + " %.1f ms)",
                EXPLORE_AFTER,
                predicted,
                min(full)));
      }
      return new Decision(
          true,
          String.format(
              Locale.ROOT,
              "predicted differential %.1f ms for %d changes > measured full %.1f ms",
              predicted,
              changes,
              min(full)));
    }
    if (initialOnly
        && predicted > MEASURE_FULL_ABOVE * min(full)
        && ++differentialsInARow > EXPLORE_AFTER) {
      // The first population (a cold cache, a first plan) may have been much slower than a
      // recompute: measure one before trusting it for good against a differential that costs as
      // much. Not at once: the differential is predicted at no more than the first population, so
      // waiting costs at most that ratio for a few refreshes, as the exploration above does.
      differentialsInARow = 0;
      return new Decision(
          true,
          String.format(
              Locale.ROOT,
              "measuring a recompute of the populated table (predicted differential %.1f ms"
                  + " for %d changes, first population %.1f ms)",
              predicted,
              changes,
              min(full)));
    }
    fullsInARow = 0;
    return new Decision(
        false,
        String.format(
            Locale.ROOT,
            "predicted %.1f ms for %d changes <= measured full %s",
            predicted,
            changes,
            full.isEmpty() ? "(none yet)" : String.format(Locale.ROOT, "%.1f ms", min(full))));
  }

  /** Records a full refresh that took {@code ms}. */
  public void recordFull(double ms) {
    if (initialOnly) {
      full.clear();
      initialOnly = false;
    }
    remember(full, ms);
  }

  /**
   * Records the first population (into an empty table: no rows to delete, cheaper than a
   * recompute), used only until a recompute of a populated table is measured.
   */
  public void recordInitialFull(double ms) {
    if (full.isEmpty() || initialOnly) {
      initialOnly = true;
      remember(full, ms);
    }
  }

  /** Remembers the rows the last recompute stored (which way the next one goes). */
  public void recordRecomputeRows(long rows) {
    lastRecomputeRows = rows;
  }

  /** The rows the last recompute stored, -1 if none was measured. */
  public long lastRecomputeRows() {
    return lastRecomputeRows;
  }

  /** Records a differential refresh of {@code changes} change rows that took {@code ms}. */
  public void recordDifferential(long changes, double ms) {
    if (changes > 0) {
      remember(differential, new Sample(changes, ms));
    }
  }

  private static <T> void remember(Deque<T> q, T v) {
    q.addLast(v);
    while (q.size() > WINDOW) {
      q.removeFirst();
    }
  }

  private static double min(Deque<Double> q) {
    return q.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }
}
