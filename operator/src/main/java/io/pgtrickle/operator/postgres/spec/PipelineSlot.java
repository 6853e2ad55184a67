package io.pgtrickle.operator.postgres.spec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A logical replication slot of a StreamTableCluster's CDC consumer on a cluster's primary, as
 * Patroni must know it.
 *
 * <p>Why: Patroni keeps only the slots it manages (its members' physical slots and its permanent
 * slots) and drops every other slot whenever it reads the list of slots again, which it does after
 * it (re)started PostgreSQL, after it created a member's physical slot (a new member) and after an
 * error. So every such slot is in Patroni's dynamic configuration, in one of two ways:
 *
 * <ul>
 *   <li>a <em>permanent</em> logical slot ({@code slots}), on PostgreSQL 16 and older once its
 *       consumer created it and while that consumer is meant to run ({@link #keep}): Patroni keeps
 *       a copy on every replica, advanced to the primary's confirmed position each loop, so a
 *       switchover or failover to a replica finds the slot (those majors have no failover slots),
 *       and creates it on a primary that lacks it;
 *   <li>an {@code ignore_slots} entry otherwise: on PostgreSQL 17 and later (the consumer creates a
 *       failover slot, which PostgreSQL's slot sync copies and Patroni leaves alone); before the
 *       consumer created it (a slot Patroni created first would start before the consumer's
 *       publication, and pgoutput then fails on every change with "publication ... does not exist":
 *       it reads the publication in the catalog as of each change); and for a slot being dropped
 *       (its consumer scaled away or the pipeline deleted), so that Patroni neither re-creates it
 *       after the decommission Job dropped it nor drops it while that consumer still confirms its
 *       last batch.
 * </ul>
 *
 * Patroni matches an ignore entry on every attribute given; this one names the slot, its type,
 * plugin and database, so it matches exactly one slot.
 *
 * @param name the slot's name
 * @param database the database it decodes
 * @param keep whether Patroni keeps it: its consumer is meant to run and has created it (false: not
 *     created yet, or being dropped)
 */
public record PipelineSlot(String name, String database, boolean keep) {

  /** The plugin of every CDC slot: PostgreSQL's built-in {@code pgoutput}. */
  public static final String PLUGIN = "pgoutput";

  /** The newest major without failover slots: Patroni keeps the copies there. */
  static final int LAST_MAJOR_WITHOUT_FAILOVER_SLOTS = 16;

  /** Whether Patroni keeps this slot as a permanent slot on a cluster of {@code major}. */
  boolean permanentOn(int major) {
    return keep && major <= LAST_MAJOR_WITHOUT_FAILOVER_SLOTS;
  }

  /** The {@code ignore_slots} entry as Patroni's dynamic configuration spells it. */
  Map<String, Object> toIgnoreEntry() {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("name", name);
    entry.put("type", "logical");
    entry.put("database", database);
    entry.put("plugin", PLUGIN);
    return entry;
  }

  /** The value of its key under {@code slots} (a permanent slot). */
  Map<String, Object> toPermanentSlot() {
    Map<String, Object> slot = new LinkedHashMap<>();
    slot.put("type", "logical");
    slot.put("database", database);
    slot.put("plugin", PLUGIN);
    return slot;
  }
}
