package io.pgtrickle.worker.dvm;

/**
 * The verdict on a defining query: maintainable differentially (with its plan), or only by full
 * recomputation, naming the construct that prevents differential maintenance.
 */
public sealed interface Analysis {

  /** The query can be maintained from its sources' changes. */
  record Differential(DifferentialPlan plan) implements Analysis {}

  /**
   * The query must be recomputed.
   *
   * @param construct the construct, as a user writes it (e.g. {@code "LIMIT"}, {@code "aggregate
   *     string_agg"}, {@code "FULL JOIN"})
   * @param detail more about where, or null
   */
  record FullOnly(String construct, String detail) implements Analysis {
    /** {@code construct (detail)} for messages. */
    public String describe() {
      return detail == null || detail.equals(construct)
          ? construct
          : construct + " (" + detail + ")";
    }
  }
}
