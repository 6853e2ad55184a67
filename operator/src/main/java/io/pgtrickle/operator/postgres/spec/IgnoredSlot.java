package io.pgtrickle.operator.postgres.spec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A logical replication slot that another component owns on a cluster's primary, so Patroni must
 * leave it alone: an entry of Patroni's {@code ignore_slots}.
 *
 * <p>Why: Patroni keeps only the slots it manages (its members' physical slots and its permanent
 * slots) and drops every other slot whenever it reads the list of slots again, which it does after
 * it (re)started PostgreSQL, after it created a member's physical slot (a new member) and after an
 * error. A StreamTableCluster's CDC slot is created by its consumer, so on PostgreSQL 16 and older
 * (where PostgreSQL 17's failover slots, which Patroni skips, do not exist) a restart of the
 * primary cost the slot, and the pipeline a gap and a full refresh. Patroni matches an entry on
 * every attribute given; this one names the slot, its type, plugin and database, so it matches
 * exactly one slot.
 *
 * @param name the slot's name
 * @param database the database it decodes
 */
public record IgnoredSlot(String name, String database) {

  /** The plugin of every CDC slot: PostgreSQL's built-in {@code pgoutput}. */
  public static final String PLUGIN = "pgoutput";

  /** The entry as Patroni's dynamic configuration spells it. */
  Map<String, Object> toPatroni() {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("name", name);
    entry.put("type", "logical");
    entry.put("database", database);
    entry.put("plugin", PLUGIN);
    return entry;
  }
}
