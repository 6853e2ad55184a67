package io.pgtrickle.worker.refresh;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * What a refresh does, decided from what the runtime found (pure, unit tested): nothing (NO_DATA),
 * a recompute (FULL, or REINITIALIZE when the storage is rebuilt), or applying the windows
 * (DIFFERENTIAL).
 *
 * @param action the history's action: NO_DATA, FULL, REINITIALIZE or DIFFERENTIAL
 * @param prepareStorage whether the plan's storage DDL runs first
 * @param reason why, for the catalog's and the history's {@code refresh_reason}
 */
public record RefreshDecision(String action, boolean prepareStorage, String reason) {

  /**
   * Whether the plan's {@link MaintenancePlan#apply} runs (else {@link MaintenancePlan#recompute},
   * or nothing for NO_DATA).
   *
   * @return true for DIFFERENTIAL
   */
  public boolean applies() {
    return "DIFFERENTIAL".equals(action);
  }

  /**
   * A recompute in place of {@code differential}, whose apply failed with {@code failure} (a data
   * exception of an image the net change does not keep; see {@code Refresher}).
   *
   * @return FULL, storage prepared as {@code differential} would have, the failure in the reason
   */
  public static RefreshDecision recomputeAfter(
      RefreshDecision differential, java.sql.SQLException failure) {
    return new RefreshDecision(
        "FULL",
        differential.prepareStorage(),
        "recomputed: the differential apply failed with SQLSTATE "
            + failure.getSQLState()
            + " ("
            + differential.reason()
            + ")");
  }

  /**
   * Decides, in this order: first population; {@code needs_reinit}; a source whose columns changed;
   * a window with TRUNCATE or a GAP (changes may be missing); a base source without a known window;
   * no change anywhere (NO_DATA); then the plan's mode (a differential plan with a changed upstream
   * stream table recomputes, since upstream changes are not captured as rows).
   *
   * @param firstRefresh whether the table was never populated or has no frontier
   * @param needsReinit the catalog's flag
   * @param plan the plan
   * @param windows per base source: its window
   * @param schemaChanged base sources whose columns changed
   * @param upstreamChanged stream-table sources whose contents changed
   * @param names a source's name for the reason
   * @return the decision
   */
  public static RefreshDecision decide(
      boolean firstRefresh,
      boolean needsReinit,
      MaintenancePlan plan,
      Map<Long, SourceWindow> windows,
      Set<Long> schemaChanged,
      Set<Long> upstreamChanged,
      LongFunction<String> names) {
    if (firstRefresh) {
      return new RefreshDecision("FULL", true, "initial population; " + plan.reason());
    }
    if (needsReinit) {
      return new RefreshDecision("REINITIALIZE", true, "storage rebuilt (needs_reinit)");
    }
    if (!schemaChanged.isEmpty()) {
      return new RefreshDecision(
          "FULL", true, "columns of " + list(schemaChanged, names) + " changed; recomputed");
    }
    for (SourceWindow w : windows.values()) {
      if (w.truncated()) {
        return new RefreshDecision("FULL", false, "TRUNCATE of " + names.apply(w.oid()));
      }
    }
    for (SourceWindow w : windows.values()) {
      if (w.gap()) {
        return new RefreshDecision(
            "FULL", false, "changes of " + names.apply(w.oid()) + " may be missing (GAP)");
      }
    }
    for (SourceWindow w : windows.values()) {
      if (!w.captured()) {
        return new RefreshDecision(
            "FULL", false, names.apply(w.oid()) + " is not captured by the CDC yet");
      }
      if (w.from() == null) {
        return new RefreshDecision(
            "FULL",
            false,
            "no complete window for "
                + names.apply(w.oid())
                + " yet (first refresh since its"
                + " capture began)");
      }
    }
    long changes = windows.values().stream().mapToLong(SourceWindow::changes).sum();
    if (changes == 0 && upstreamChanged.isEmpty()) {
      return new RefreshDecision("NO_DATA", false, "no changes");
    }
    if ("DIFFERENTIAL".equals(plan.mode())) {
      if (!upstreamChanged.isEmpty()) {
        return new RefreshDecision(
            "FULL",
            false,
            "upstream stream table " + list(upstreamChanged, names) + " changed; recomputed");
      }
      // A change whose old image is only the key cannot retract its old row: recompute (a FULL
      // plan recomputes anyway and needs no old rows, so its reason stays its own).
      for (SourceWindow w : windows.values()) {
        if (w.keyOnly() != null) {
          return new RefreshDecision(
              "FULL", false, keyOnlyReason(names.apply(w.oid()), w.keyOnly()));
        }
      }
      String recompute = plan.recomputeInstead(windows);
      if (recompute != null) {
        return new RefreshDecision("FULL", false, recompute);
      }
      return new RefreshDecision(
          "DIFFERENTIAL",
          false,
          "applied " + changesOf(changes, windows, names) + " (" + plan.reason() + ")");
    }
    String what =
        changes == 0
            ? "upstream stream table " + list(upstreamChanged, names) + " changed; recomputed"
            : "recomputed for " + changesOf(changes, windows, names);
    return new RefreshDecision("FULL", false, what + " (" + plan.reason() + ")");
  }

  /**
   * Whether {@code decision} recomputes because of key-only changes (for the worker's warning).
   *
   * @param decision the decision
   * @param windows the windows it was made for
   * @return true if its reason is {@link #keyOnlyReason} of one of them
   */
  static boolean recomputedForKeyOnly(RefreshDecision decision, Map<Long, SourceWindow> windows) {
    return "FULL".equals(decision.action())
        && windows.values().stream().anyMatch(w -> w.keyOnly() != null)
        && decision.reason().contains("carry only the key");
  }

  /**
   * Why a window with key-only changes (their old image is the replica identity key, not the row)
   * was recomputed, and how to get differential refreshes back.
   *
   * @param source the source's name
   * @param identity its REPLICA IDENTITY now ({@link SourceWindow#keyOnly})
   * @return the reason
   */
  static String keyOnlyReason(String source, String identity) {
    if ("FULL".equals(identity)) {
      return source
          + "'s updates and deletes carry only the key (made while its REPLICA IDENTITY was not"
          + " FULL); recomputed";
    }
    String now = "?".equals(identity) ? "not FULL" : identity;
    return source
        + "'s REPLICA IDENTITY is "
        + now
        + ": its updates and deletes carry only the key; recomputed; ALTER TABLE "
        + source
        + " REPLICA IDENTITY FULL restores differential refreshes";
  }

  /** E.g. {@code 3 changes of t1, t2}: the windows' change count and the sources that had any. */
  private static String changesOf(
      long changes, Map<Long, SourceWindow> windows, LongFunction<String> names) {
    return changes
        + (changes == 1 ? " change" : " changes")
        + " of "
        + list(
            windows.values().stream().filter(w -> w.changes() > 0).map(SourceWindow::oid).toList(),
            names);
  }

  static String list(Collection<Long> oids, LongFunction<String> names) {
    return String.join(", ", oids.stream().sorted().map(names::apply).toList());
  }
}
