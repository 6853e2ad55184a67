package io.pgtrickle.operator.streams.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether the server has room for a pipeline's CDC consumers. Each consumer needs a replication
 * slot ({@code max_replication_slots}) and a WAL sender ({@code max_wal_senders}), both shared with
 * everything else on the server: Patroni's physical slots for the replicas, the pipelines of other
 * databases, other tools. When they are all taken a consumer fails with "all replication slots are
 * in use" (or "number of requested standby connections exceeds max_wal_senders") and retries
 * forever, which its StatefulSet only shows as a consumer not ready; the server's own figures say
 * why. Read on the operator's connection to the primary (visible to any user); the decision is
 * pure.
 *
 * @param maxSlots {@code max_replication_slots}
 * @param slotsInUse every slot on the server, temporary ones included, but a base backup's
 * @param ownSlots the names of this pipeline's slots that exist
 * @param maxWalSenders {@code max_wal_senders}
 * @param othersWalSenders WAL senders serving anything but this pipeline's slots and base backups
 */
public record ReplicationCapacity(
    int maxSlots, int slotsInUse, Set<String> ownSlots, int maxWalSenders, int othersWalSenders) {

  /** The status reason when the slots are all taken. */
  public static final String SLOTS_EXHAUSTED = "ReplicationSlotsExhausted";

  /** The status reason when the WAL senders are all taken. */
  public static final String WAL_SENDERS_EXHAUSTED = "WalSendersExhausted";

  /**
   * Why the consumers cannot all run.
   *
   * @param reason {@link #SLOTS_EXHAUSTED} or {@link #WAL_SENDERS_EXHAUSTED}
   * @param message the figures, and what to change
   * @param runnable how many of the consumers can have a slot and a WAL sender (the pipeline fails
   *     only when none can; otherwise those run and the rest wait)
   */
  public record Shortfall(String reason, String message, int runnable) {}

  /**
   * A base backup's slot: pg_basebackup streams its WAL through a temporary slot {@code
   * pg_basebackup_PID} (unless told not to).
   */
  static final String BACKUP_SLOT = "(s.temporary AND s.slot_name LIKE 'pg\\_basebackup\\_%')";

  /**
   * The settings, the slots in use and the WAL senders of others. A base backup in progress (a
   * member joining a PostgresCluster is cloned with pg_basebackup: one WAL sender in state {@code
   * backup}, one named {@code pg_basebackup} streaming its WAL through a temporary slot) is left
   * out: it goes by itself within minutes, and counting it reported a shortfall that was gone at
   * the next look.
   */
  static final String FIGURES =
      "SELECT current_setting('max_replication_slots')::int,"
          + " current_setting('max_wal_senders')::int,"
          + " (SELECT count(*) FROM pg_replication_slots s WHERE NOT "
          + BACKUP_SLOT
          + ")::int,"
          + " (SELECT count(*) FROM pg_stat_replication r WHERE r.state IS DISTINCT FROM 'backup'"
          + " AND r.application_name IS DISTINCT FROM 'pg_basebackup'"
          + " AND NOT EXISTS (SELECT 1 FROM pg_replication_slots s WHERE s.active_pid = r.pid"
          + " AND (s.slot_name ~ ? OR "
          + BACKUP_SLOT
          + ")))::int";

  static final String OWN_SLOTS = "SELECT slot_name FROM pg_replication_slots WHERE slot_name ~ ?";

  public ReplicationCapacity {
    ownSlots = Set.copyOf(ownSlots);
  }

  /**
   * @param c a connection to the primary
   * @param slotPrefix the pipeline's slot prefix ({@code [a-z0-9_]}, so safe in a pattern)
   * @return the figures
   * @throws SQLException on a database error
   */
  public static ReplicationCapacity read(Connection c, String slotPrefix) throws SQLException {
    int maxSlots;
    int maxSenders;
    int inUse;
    int othersSenders;
    // PREFIX + ordinal only: pipeline o's prefix pgtrickle_o_ also starts pipeline o-x's slots.
    String own = "^" + slotPrefix + "[0-9]+$";
    try (PreparedStatement ps = c.prepareStatement(FIGURES)) {
      ps.setString(1, own);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        maxSlots = rs.getInt(1);
        maxSenders = rs.getInt(2);
        inUse = rs.getInt(3);
        othersSenders = rs.getInt(4);
      }
    }
    Set<String> ownSlots = new TreeSet<>();
    try (PreparedStatement ps = c.prepareStatement(OWN_SLOTS)) {
      ps.setString(1, own);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ownSlots.add(rs.getString(1));
        }
      }
    }
    return new ReplicationCapacity(maxSlots, inUse, ownSlots, maxSenders, othersSenders);
  }

  /**
   * Why the consumers cannot all run, if they cannot.
   *
   * @param wantedSlots the slots of the consumers {@code spec.cdc.replicas} asks for
   * @param raise how the user raises the settings on this server, e.g. "in spec.postgresqlParams of
   *     PostgresCluster pg"
   * @return the reason, the message and how many consumers can run, or empty when there is room
   */
  public Optional<Shortfall> shortfall(List<String> wantedSlots, String raise) {
    int consumers = wantedSlots.size();
    int missing = (int) wantedSlots.stream().filter(s -> !ownSlots.contains(s)).count();
    int free = Math.max(0, maxSlots - slotsInUse);
    int others = slotsInUse - ownSlots.size();
    int senders = Math.max(0, maxWalSenders - othersWalSenders);
    if (missing > free) {
      int slotShort = missing - free;
      int runnable = Math.min(consumers - slotShort, senders);
      return Optional.of(
          new Shortfall(
              SLOTS_EXHAUSTED,
              "spec.cdc.replicas asks for "
                  + consumers
                  + " CDC consumer(s), one replication slot each, and "
                  + missing
                  + " of them have none: max_replication_slots is "
                  + maxSlots
                  + ", "
                  + others
                  + " in use by others and "
                  + ownSlots.size()
                  + " by this pipeline, "
                  + free
                  + " free: "
                  + slotShort
                  + " slot(s) short"
                  + running(runnable, consumers)
                  + ". Raise max_replication_slots and max_wal_senders "
                  + raise
                  + ", drop slots nothing uses (pg_replication_slots), or lower spec.cdc.replicas",
              runnable));
    }
    if (consumers > senders) {
      return Optional.of(
          new Shortfall(
              WAL_SENDERS_EXHAUSTED,
              "spec.cdc.replicas asks for "
                  + consumers
                  + " CDC consumer(s), one WAL sender each: max_wal_senders is "
                  + maxWalSenders
                  + " and "
                  + othersWalSenders
                  + " in use by others: "
                  + (consumers - senders)
                  + " WAL sender(s) short"
                  + running(senders, consumers)
                  + ". Raise max_wal_senders "
                  + raise
                  + ", or lower spec.cdc.replicas",
              senders));
    }
    return Optional.empty();
  }

  /** What runs meanwhile: "; 2 of 3 consumers can run, the others wait for one". */
  private static String running(int runnable, int consumers) {
    return runnable <= 0
        ? "; no consumer can run"
        : "; " + runnable + " of " + consumers + " consumers can run, the others wait for one";
  }
}
