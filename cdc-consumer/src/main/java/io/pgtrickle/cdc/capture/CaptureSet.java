package io.pgtrickle.cdc.capture;

import io.pgtrickle.cdc.config.ConfigException;
import io.pgtrickle.cdc.config.SourceRefusedException;
import io.pgtrickle.cdc.pgoutput.GapMarkers;
import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables this consumer captures, kept in its publication: the {@code --tables} (by name) and
 * the rows of {@code pgtrickle.pgt_change_tracking} it owns (by OID). {@link #start} runs once,
 * when the consumer starts; {@link #sync} then runs every {@code catalog-poll-ms} on a thread of
 * its own. Each round:
 *
 * <ol>
 *   <li>makes sure the publication exists and publishes partitioned tables through their root;
 *   <li>resolves the {@code --tables} names (a name that now means another OID was dropped and
 *       created again) and claims and lists the catalog rows;
 *   <li>checks every table's replica identity ({@link ReplicaIdentity}): a table without one is
 *       never added (at start a {@code --tables} table without one, or missing, stops the consumer
 *       with exit code 2), and a captured one that lost it is reported;
 *   <li>adds what is missing from the publication, removes what it added that nobody wants any more
 *       (a deleted catalog row; never a {@code --tables} table, never a table it did not add); a
 *       table the user may not publish (not its owner) is reported with the fix and added once it
 *       may, except a {@code --tables} table at start, which refuses the start ({@link
 *       SourceRefusedException});
 *   <li>for each table whose capture (re)started, waits for the transactions in flight to end, then
 *       records a gap in its own stream ({@link GapMarkers}): the change log gets a GAP event for
 *       the table at that point, from which its changes are complete; a catalog row then gets
 *       {@code captured_since_lsn}. A dropped captured table gets a GAP event too (its rows
 *       vanished without events).
 * </ol>
 *
 * <p>Problems (a table that is not captured, or breaks its writers) go to the {@code problems}
 * callback, which the readiness probe reports; each new one is logged once as an ERROR.
 */
public final class CaptureSet {

  private static final Logger LOG = LoggerFactory.getLogger(CaptureSet.class);

  private final String slot;
  private final List<String> staticTables;
  private final boolean catalog;
  private final Publication publication;
  private final CatalogClaims claims;
  private final Consumer<Map<String, String>> problemSink;
  private final Map<String, Long> lastStaticOid = new HashMap<>();
  private final Set<Long> goneReported = new HashSet<>();
  private final Set<Long> pendingStarts = new LinkedHashSet<>();
  private final Set<Long> pendingGaps = new LinkedHashSet<>();
  private Map<String, String> reported = Map.of();
  private volatile Set<Long> sources = Set.of();

  /**
   * Creates the set; nothing touches the database until {@link #start}.
   *
   * @param slot this consumer's slot (gap markers name it)
   * @param publication its publication
   * @param staticTables the {@code --tables}, {@code schema.table}
   * @param catalog whether to follow {@code pgtrickle.pgt_change_tracking}
   * @param ordinal this consumer's ordinal
   * @param replicas how many consumers share the catalog
   * @param problems receives the tables not captured (or breaking their writers), name to message
   */
  public CaptureSet(
      String slot,
      String publication,
      List<String> staticTables,
      boolean catalog,
      int ordinal,
      int replicas,
      Consumer<Map<String, String>> problems) {
    this.slot = slot;
    this.staticTables = List.copyOf(staticTables);
    this.catalog = catalog;
    this.publication = new Publication(publication);
    this.claims = new CatalogClaims(slot, ordinal, replicas);
    this.problemSink = problems;
  }

  /**
   * The first round, when the consumer starts: a {@code --tables} table that does not exist, is not
   * a table or has no replica identity refuses the start (and is taken out of the publication if
   * this consumer had put it there).
   *
   * @param c an auto-commit connection to the primary
   * @param slotExists whether the slot exists: if not, it is about to be created, and a GAP for
   *     every source is recorded then ({@link #sources()}); if it does, tables added now get their
   *     gap markers in the first periodic round
   * @throws ConfigException naming a {@code --tables} table that cannot be captured
   * @throws SourceRefusedException if the user lacks a privilege it needs (naming the fix)
   * @throws SQLException on a database error
   */
  public synchronized void start(Connection c, boolean slotExists) throws SQLException {
    // Gap markers wait for transactions in flight: left to the first periodic round, so a long
    // transaction does not hold up streaming the tables already captured.
    round(c, true, slotExists, false, () -> false);
  }

  /**
   * A periodic round, once the slot exists.
   *
   * @param c an auto-commit connection to the primary
   * @param stop ends a wait for transactions in flight early
   * @throws SQLException on a database error (the next round tries again)
   */
  public synchronized void sync(Connection c, BooleanSupplier stop) throws SQLException {
    round(c, false, true, true, stop);
  }

  /**
   * Makes sure the publication exists (on every reconnect: a new primary has what the old one had,
   * but someone may have dropped it).
   *
   * @param c an auto-commit connection to the primary
   * @throws SQLException on a database error
   */
  public void ensurePublication(Connection c) throws SQLException {
    publication.ensure(c);
  }

  /**
   * The OIDs of the tables captured after the last round: the sources that get a GAP when a new
   * slot is created.
   *
   * @return the OIDs
   */
  public Set<Long> sources() {
    return sources;
  }

  /**
   * Undoes what the consumer did (decommission): gives up its catalog rows, and drops its
   * publication if it created it, else removes the tables it added.
   *
   * @param c an auto-commit connection to the primary
   * @return what was done, for the log
   * @throws SQLException on a database error
   */
  public String decommission(Connection c) throws SQLException {
    String done = publication.undo(c);
    int released = claims.release(c);
    return done + "; released " + released + " row(s) of " + CatalogClaims.TABLE;
  }

  private void round(
      Connection c, boolean strict, boolean slotExists, boolean markNow, BooleanSupplier stop)
      throws SQLException {
    publication.ensure(c);
    Map<String, String> problems = new TreeMap<>();
    Map<String, Long> byName = SourceTables.oids(c, staticTables);
    Map<Long, Optional<Lsn>> owned = catalog ? claims.claimAndList(c) : null;
    Set<Long> lookup = new LinkedHashSet<>(byName.values());
    if (owned != null) {
      lookup.addAll(owned.keySet());
    }
    Map<Long, SourceTable> tables = SourceTables.describe(c, lookup);

    Map<Long, SourceTable> wanted = new LinkedHashMap<>();
    Set<Long> staticOids = new HashSet<>();
    for (String name : staticTables) {
      Long oid = byName.get(name);
      SourceTable table = oid == null ? null : tables.get(oid);
      Long before = lastStaticOid.get(name);
      if (before != null && (table == null || table.oid() != before) && goneReported.add(before)) {
        pendingGaps.add(before); // dropped: its rows vanished without events
        LOG.error(
            "table {} (oid {}) was dropped while captured{}",
            name,
            before,
            table == null ? "; it is captured again once it exists" : ", and created again");
      }
      if (table == null) {
        if (strict) {
          throw new ConfigException(
              "PGTRICKLE_TABLES (--tables): table " + name + " does not exist");
        }
        problems.put(name, "table " + name + " does not exist");
        continue;
      }
      lastStaticOid.put(name, table.oid());
      staticOids.add(table.oid());
      wanted.put(table.oid(), table);
    }
    if (owned != null) {
      for (long oid : owned.keySet()) {
        if (!tables.containsKey(oid)) {
          if (goneReported.add(oid)) {
            pendingGaps.add(oid);
            LOG.warn(
                "table oid {} of {} no longer exists (dropped); its row stays claimed until it"
                    + " is deleted",
                oid,
                CatalogClaims.TABLE);
          }
          continue;
        }
        wanted.putIfAbsent(oid, tables.get(oid));
      }
      goneReported.retainAll(union(owned.keySet(), lastStaticOid.values()));
    }

    PublicationRecord record = publication.record(c);
    Set<Long> members = publication.members(c, union(wanted.keySet(), record.added()));
    for (SourceTable table : wanted.values()) {
      if (table.publishable()) {
        continue;
      }
      if (strict && staticOids.contains(table.oid())) {
        if (members.contains(table.oid()) && record.added().contains(table.oid())) {
          publication.remove(c, table.oid());
        }
        throw new ConfigException(
            "PGTRICKLE_TABLES (--tables): " + String.join("; ", table.problems()));
      }
      problems.put(table.name(), String.join("; ", table.problems()));
    }

    // Capture (re)starts: tables added now, catalog rows added earlier whose captured_since_lsn is
    // not set yet, and starts of earlier rounds whose gap marker was not recorded (a round cut
    // short).
    Set<Long> captured = new LinkedHashSet<>();
    for (SourceTable table : wanted.values()) {
      boolean uncaptured =
          owned != null && owned.containsKey(table.oid()) && owned.get(table.oid()).isEmpty();
      if (members.contains(table.oid())) {
        captured.add(table.oid());
        if (uncaptured) {
          pendingStarts.add(table.oid());
        }
      } else if (table.publishable()) {
        try {
          publication.add(c, table);
        } catch (SourceRefusedException e) {
          if (strict && staticOids.contains(table.oid())) {
            throw e; // at start: a configuration error (exit 2)
          }
          problems.put(table.name(), e.getMessage()); // added once the privilege is granted
          continue;
        }
        captured.add(table.oid());
        pendingStarts.add(table.oid());
      }
    }
    pendingStarts.retainAll(captured);
    List<Long> started = new ArrayList<>(pendingStarts);
    for (long oid : record.added()) {
      if (!wanted.containsKey(oid)) {
        publication.remove(c, oid); // nobody wants it any more (or it was dropped)
      }
    }
    sources = Set.copyOf(captured);

    if (!slotExists) {
      // The slot is created next, after a GAP for every source (CdcConsumer): it decodes
      // everything that commits after its creation, with these tables in the publication.
      pendingStarts.removeIf(oid -> owned == null || !owned.containsKey(oid));
      pendingGaps.clear();
      report(problems);
      return;
    }
    if (!markNow) {
      report(problems);
      return;
    }
    if (!started.isEmpty() && !InFlightTransactions.awaitEnded(c, "capture of " + started, stop)) {
      return;
    }
    List<Long> marked = new ArrayList<>(pendingGaps);
    marked.addAll(started);
    if (!marked.isEmpty()) {
      emitGap(c, marked);
      pendingGaps.clear();
    }
    for (long oid : started) {
      if (owned != null && owned.containsKey(oid)) {
        Optional<Lsn> since = claims.markCaptured(c, oid);
        since.ifPresent(
            lsn ->
                LOG.info("table oid {} is captured from {} ({})", oid, lsn, CatalogClaims.TABLE));
      } else {
        LOG.info("table {} (oid {}) is captured from now on", wanted.get(oid).name(), oid);
      }
      pendingStarts.remove(oid);
    }
    report(problems);
  }

  private void emitGap(Connection c, List<Long> oids) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT pg_logical_emit_message(true, ?, ?)::text")) {
      ps.setString(1, GapMarkers.PREFIX);
      ps.setString(2, GapMarkers.format(slot, oids));
      ps.executeQuery().close();
    }
    LOG.info("recorded a gap for source(s) {} in the stream of slot {}", oids, slot);
  }

  private void report(Map<String, String> problems) {
    problems.forEach(
        (table, message) -> {
          if (!message.equals(reported.get(table))) {
            LOG.error("not capturing {}: {}", table, message);
          }
        });
    reported.keySet().stream()
        .filter(t -> !problems.containsKey(t))
        .forEach(t -> LOG.info("{}: resolved, captured", t));
    reported = Map.copyOf(problems);
    problemSink.accept(problems);
  }

  private static Set<Long> union(java.util.Collection<Long> a, java.util.Collection<Long> b) {
    Set<Long> out = new LinkedHashSet<>(a);
    out.addAll(b);
    return out;
  }
}
