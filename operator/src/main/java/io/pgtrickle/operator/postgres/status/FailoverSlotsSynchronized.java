package io.pgtrickle.operator.postgres.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.ParameterCheck;
import io.pgtrickle.operator.postgres.spec.PostgresqlParameters;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The PostgresCluster condition {@code FailoverSlotsSynchronized} (PostgreSQL 17 and later only):
 * True while the standbys synchronize the primary's failover slots ({@code sync_replication_slots},
 * on by default), so the CDC slots of StreamTableClusters survive a switchover or failover; False
 * when {@code spec.postgresqlParams} turns it off, or keeps the default from applying ({@code
 * hot_standby_feedback} off, {@code wal_level} below logical), since then every switchover (each
 * rolling restart, a TLS toggle) costs those slots. A pure function of the spec; it does not change
 * the phase.
 */
public final class FailoverSlotsSynchronized {

  public static final String TYPE = "FailoverSlotsSynchronized";
  public static final String ON = "SyncReplicationSlotsOn";
  public static final String OFF = "SyncReplicationSlotsOff";

  private static final String COST =
      ": a switchover or failover loses the CDC slots of StreamTableClusters (GAP events, a full"
          + " refresh of their stream tables)";

  private FailoverSlotsSynchronized() {}

  /** {@code current} with the condition set; unchanged for a major without slot sync. */
  public static List<Condition> with(
      List<Condition> current, PostgresCluster cluster, long generation, Instant now) {
    if (cluster.getSpec().majorVersion() < PostgresqlParameters.SLOT_SYNC_MAJOR) {
      return current;
    }
    Map<String, String> params = PostgresqlParameters.effective(cluster);
    String sync = params.get(PostgresqlParameters.SYNC_REPLICATION_SLOTS);
    if (sync == null) {
      Optional<String> blocker = PostgresqlParameters.slotSyncBlocker(params);
      return Conditions.with(
          current,
          TYPE,
          false,
          OFF,
          "sync_replication_slots is left off because spec.postgresqlParams sets "
              + blocker.orElse("parameters that keep it off")
              + " (PostgreSQL then synchronizes no slot)"
              + COST,
          generation,
          now);
    }
    if (!ParameterCheck.boolValue(sync).orElse(false)) {
      return Conditions.with(
          current,
          TYPE,
          false,
          OFF,
          "spec.postgresqlParams sets sync_replication_slots " + sync + COST,
          generation,
          now);
    }
    Optional<String> blocker = PostgresqlParameters.slotSyncBlocker(params);
    if (blocker.isPresent()) {
      // Refused by ParameterCheck (the cluster is Failed); said here too, in the same terms.
      return Conditions.with(
          current,
          TYPE,
          false,
          OFF,
          "sync_replication_slots is on with "
              + blocker.get()
              + ", so PostgreSQL synchronizes no slot"
              + COST,
          generation,
          now);
    }
    return Conditions.with(
        current,
        TYPE,
        true,
        ON,
        "The standbys synchronize failover slots (sync_replication_slots on): the CDC slots of"
            + " StreamTableClusters survive a switchover or failover",
        generation,
        now);
  }
}
