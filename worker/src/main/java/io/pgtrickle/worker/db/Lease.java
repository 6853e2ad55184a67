package io.pgtrickle.worker.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * A named lease in {@code pgtrickle.pgt_worker_leases}: one holder at a time, with an expiry the
 * holder pushes forward (heartbeat); anyone may take it once it expired. Times are the database's
 * clock ({@code clock_timestamp()}), so the workers' clocks never matter.
 *
 * <p>A lease alone cannot stop a holder that stalled (a long GC pause, a frozen VM) from acting
 * after it expired. So the work a lease protects checks it in the same transaction as its writes
 * ({@link #fence(Connection)}): the check updates the lease row, a taker's update waits for that
 * transaction, and a holder whose lease expired cannot commit.
 */
public final class Lease {

  private static final String FENCE =
      "UPDATE pgtrickle.pgt_worker_leases SET commits = commits + 1 WHERE lease_name = ?"
          + " AND holder = ? AND expires_at > clock_timestamp() RETURNING commits";

  private final String name;
  private final String holder;
  private final Duration duration;

  /**
   * Describes a lease.
   *
   * @param name the lease, e.g. {@code ingest}
   * @param holder this worker's id
   * @param duration how long it lasts without renewal
   */
  public Lease(String name, String holder, Duration duration) {
    this.name = name;
    this.holder = holder;
    this.duration = duration;
  }

  /**
   * Takes the lease if it is free or expired, or renews it if this worker holds it.
   *
   * @param c an autocommit connection
   * @return true if this worker holds it now
   * @throws SQLException if the database fails
   */
  public boolean acquireOrRenew(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO pgtrickle.pgt_worker_leases AS l"
                + " (lease_name, holder, acquired_at, renewed_at, expires_at)"
                + " VALUES (?, ?, clock_timestamp(), clock_timestamp(),"
                + " clock_timestamp() + ? * interval '1 millisecond')"
                + " ON CONFLICT (lease_name) DO UPDATE SET"
                + " holder = EXCLUDED.holder,"
                + " acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at >"
                + " clock_timestamp() THEN l.acquired_at ELSE EXCLUDED.acquired_at END,"
                + " renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at"
                + " WHERE l.expires_at <= clock_timestamp() OR l.holder = EXCLUDED.holder"
                + " RETURNING holder")) {
      ps.setString(1, name);
      ps.setString(2, holder);
      ps.setLong(3, duration.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Renews the lease only if this worker still holds it and it has not expired.
   *
   * @param c an autocommit connection
   * @return true if renewed, false if it was lost
   * @throws SQLException if the database fails
   */
  public boolean renew(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE pgtrickle.pgt_worker_leases SET renewed_at = clock_timestamp(),"
                + " expires_at = clock_timestamp() + ? * interval '1 millisecond'"
                + " WHERE lease_name = ? AND holder = ? AND expires_at > clock_timestamp()")) {
      ps.setLong(1, duration.toMillis());
      ps.setString(2, name);
      ps.setString(3, holder);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Gives the lease up at once (draining), so another worker takes it without waiting for expiry.
   *
   * @param c an autocommit connection
   * @throws SQLException if the database fails
   */
  public void release(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE pgtrickle.pgt_worker_leases SET expires_at = clock_timestamp()"
                + " WHERE lease_name = ? AND holder = ?")) {
      ps.setString(1, name);
      ps.setString(2, holder);
      ps.executeUpdate();
    }
  }

  /**
   * Checks, inside the caller's transaction, that this worker holds the lease, keeps it from being
   * taken until that transaction ends, and counts the transaction (column {@code commits}, catalog
   * version 4): the count is the lease's, across holders, and goes back only if committed
   * transactions are lost (a failover to a standby that lacked them).
   *
   * @param c a connection inside a transaction
   * @return the lease's count including this transaction, or -1 if this worker does not hold the
   *     lease (the caller must roll back)
   * @throws SQLException if the database fails
   */
  public long fence(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FENCE)) {
      ps.setString(1, name);
      ps.setString(2, holder);
      try (ResultSet rs = ps.executeQuery()) {
        return fenced(rs);
      }
    }
  }

  /**
   * Adds {@link #fence(Connection)} to a round trip, so that it costs none of its own.
   *
   * @param trip the round trip, whose statements run inside the caller's transaction
   * @return the index of its result, to be read with {@link #fenced}
   */
  public int fence(RoundTrip trip) {
    return trip.add(FENCE, name, holder);
  }

  /**
   * The result of a fence added to a round trip ({@link #fence(RoundTrip)}).
   *
   * @param rs its rows
   * @return the lease's count including this transaction, or -1 if this worker does not hold the
   *     lease (the caller must roll back)
   * @throws SQLException if the driver fails
   */
  public static long fenced(ResultSet rs) throws SQLException {
    return rs.next() ? rs.getLong(1) : -1;
  }

  /**
   * The lease's count of fenced transactions ({@link #fence}) as the database has it now.
   *
   * @param c an autocommit connection
   * @return the count, or -1 if the lease has no row
   * @throws SQLException if the database fails
   */
  public long commits(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT commits FROM pgtrickle.pgt_worker_leases WHERE lease_name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }

  public String name() {
    return name;
  }

  public Duration duration() {
    return duration;
  }
}
