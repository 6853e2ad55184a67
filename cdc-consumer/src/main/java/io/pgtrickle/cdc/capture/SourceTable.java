package io.pgtrickle.cdc.capture;

import java.util.List;

/**
 * A table as the source database describes it now.
 *
 * @param oid its OID: the {@code source_oid} of its change events
 * @param name {@code schema.table}, quoted where PostgreSQL needs it
 * @param partitioned whether it is a partitioned table (published through its root)
 * @param problems why it must not be added to the publication (a missing replica identity, of the
 *     table or of one of its leaf partitions; not a table at all); empty if it may
 */
public record SourceTable(long oid, String name, boolean partitioned, List<String> problems) {

  /** Takes an unmodifiable copy of {@code problems}. */
  public SourceTable {
    problems = List.copyOf(problems);
  }

  /**
   * Whether it may be added to the publication.
   *
   * @return {@code true} if nothing is wrong with it
   */
  public boolean publishable() {
    return problems.isEmpty();
  }
}
