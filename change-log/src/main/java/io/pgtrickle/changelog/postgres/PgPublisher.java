package io.pgtrickle.changelog.postgres;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.postgres.PgPublishGroups.Request;
import io.pgtrickle.changelog.postgres.PgPublishGroups.Slice;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Writes publishes into the events table: a group of them (any sources) with one binary {@code
 * COPY} in auto-commit mode, i.e. one transaction and one WAL flush; a single one as before group
 * commit. Skips the events at or below each source's highest stored position (remembered per source
 * after each commit, read with one query the first time); the primary key refuses a duplicate that
 * a race or a stale memory lets through, and the single publish then retries once against the
 * stored position.
 *
 * <p>Auto-commit: the {@code COPY} is a transaction of its own, committed (WAL flushed, with the
 * server's {@code synchronous_commit}) before the server reports it complete; the same durability
 * as {@code COPY} then {@code COMMIT}, one round trip fewer. The events are encoded into the COPY
 * as it streams ({@link PgCopyBinary}).
 */
final class PgPublisher {

  private static final String UNIQUE_VIOLATION = "23505";

  private final PgSchema schema;
  private final PgConnections connections;

  /** Per source: the highest position this instance saw committed. */
  private final Map<Long, Lsn> published = new ConcurrentHashMap<>();

  PgPublisher(PgSchema schema, PgConnections connections) {
    this.schema = schema;
    this.connections = connections;
  }

  /**
   * Publishes a group with one COPY and completes every request's future after its commit; if the
   * COPY fails for any reason (a duplicate key of one source, a malformed event, a broken
   * connection that a reconnect did not cure), publishes the requests one by one with {@link
   * #publishOne}, so that each request succeeds or fails on its own. Never throws: the outcome is
   * in the futures.
   *
   * @param group requests in queue order, at least one
   */
  void publishGroup(List<Request> group) {
    if (group.size() == 1) {
      complete(group.get(0));
      return;
    }
    Map<Long, Lsn> known = remembered(group);
    Map<Long, Lsn> after;
    try {
      after = connections.autoCommitted(c -> copy(c, group, known));
    } catch (RuntimeException groupFailure) {
      group.forEach(this::complete);
      return;
    }
    // Only after the commit: a failed publish must not be remembered as stored.
    after.forEach((source, lsn) -> published.merge(source, lsn, Lsn::max));
    group.forEach(r -> r.done().complete(null));
  }

  private void complete(Request r) {
    try {
      publishOne(r.sourceOid(), r.events());
      r.done().complete(null);
    } catch (RuntimeException e) {
      r.done().completeExceptionally(e);
    }
  }

  /**
   * Publishes one source's events in their own transaction, skipping those already stored; a
   * duplicate key (a re-publish, or another instance publishing the source) makes it read the
   * stored position and try once more.
   *
   * @param sourceOid the source
   * @param events validated events of the source, at least one
   * @throws ChangeLogException if PostgreSQL refuses or cannot be reached
   * @throws io.pgtrickle.changelog.MalformedEventException if an event cannot be written as JSON
   */
  void publishOne(long sourceOid, List<ChangeEvent> events) {
    List<Request> one = List.of(new Request(sourceOid, events, null));
    Map<Long, Lsn> after;
    try {
      Map<Long, Lsn> known = remembered(one);
      after = connections.autoCommitted(c -> copy(c, one, known));
    } catch (ChangeLogException e) {
      published.remove(sourceOid);
      if (!(e.getCause() instanceof SQLException sql)
          || !UNIQUE_VIOLATION.equals(sql.getSQLState())) {
        throw e;
      }
      // Some of these events are stored already: the second attempt reads the stored position.
      after = connections.autoCommitted(c -> copy(c, one, Map.of()));
    }
    after.forEach((source, lsn) -> published.merge(source, lsn, Lsn::max));
  }

  /** The highest stored position this instance remembers for each of the requests' sources. */
  private Map<Long, Lsn> remembered(List<Request> requests) {
    Map<Long, Lsn> known = new HashMap<>();
    for (Request r : requests) {
      Lsn lsn = published.get(r.sourceOid());
      if (lsn != null) {
        known.put(r.sourceOid(), lsn);
      }
    }
    return known;
  }

  /**
   * Writes the requests' new events with one COPY (committed when it ends, in auto-commit mode). A
   * source missing from {@code known} has its highest stored position read first.
   *
   * @return each source's highest stored position now that the COPY committed
   */
  private Map<Long, Lsn> copy(Connection c, List<Request> requests, Map<Long, Lsn> known)
      throws SQLException {
    Map<Long, Lsn> highest = new HashMap<>(known);
    Set<Long> read = new HashSet<>(known.keySet());
    for (Request r : requests) {
      if (read.add(r.sourceOid())) {
        Lsn stored = storedHighest(c, r.sourceOid());
        if (stored != null) {
          highest.put(r.sourceOid(), stored);
        }
      }
    }
    List<Slice> slices = PgPublishGroups.plan(requests, highest);
    if (!slices.isEmpty()) {
      CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(schema.copyEvents());
      PgCopyBinary rows = PgCopyBinary.start(copy);
      try {
        for (Slice s : slices) {
          for (ChangeEvent e : s.events()) {
            rows.add(s.sourceOid(), e);
          }
        }
        rows.finish();
      } finally {
        if (copy.isActive()) {
          copy.cancelCopy();
        }
        rows.release();
      }
    }
    return highest;
  }

  private Lsn storedHighest(Connection c, long sourceOid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(schema.selectHighest())) {
      ps.setLong(1, sourceOid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Lsn.of(Lsn.parse(rs.getString(1)).value(), rs.getInt(2)) : null;
      }
    }
  }
}
