package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * How a refresh asks the ingest to bring {@code ingested_lsn} up to its snapshot's LSN: a {@code
 * NOTIFY pgtrickle_ingest, '<lsn>'}, which wakes the lease holder's ingest at once wherever it
 * runs. The ingest does not advance {@code ingested_lsn} of an idle source on every round (each
 * update writes WAL, which moves the slots, which would call for another update): it does so when
 * it copied changes, when asked, and otherwise about once a second.
 *
 * <p>The {@code NOTIFY} also flushes the WAL: it assigns its transaction an id, so its commit
 * record is written and flushed, past the refresh's LSN, and the walsender decodes up to there
 * instead of waiting for the WAL writer.
 */
public final class IngestDemand implements AutoCloseable {

  /** The notification channel. */
  public static final String CHANNEL = "pgtrickle_ingest";

  /**
   * The channel on which the ingest says that it advanced {@code ingested_lsn}: a {@code NOTIFY} in
   * the same transaction, so delivered when that commits. A refresh waiting for the ingest listens
   * on it while it waits ({@link #listenForProgress}, {@link #awaitProgress}), and polls again at
   * once instead of after its next pause.
   */
  public static final String PROGRESS_CHANNEL = "pgtrickle_ingested";

  /** The statement the ingest adds to a transaction that advances {@code ingested_lsn}. */
  static final String NOTIFY_PROGRESS = "SELECT pg_notify('" + PROGRESS_CHANNEL + "', '')";

  private final Connection listener;

  /**
   * Starts listening.
   *
   * @param listener a dedicated autocommit connection, closed with this object
   * @throws SQLException if LISTEN fails
   */
  public IngestDemand(Connection listener) throws SQLException {
    this.listener = listener;
    try (Statement s = listener.createStatement()) {
      s.execute("LISTEN " + CHANNEL);
    }
  }

  /**
   * Asks the ingest to reach {@code wanted}.
   *
   * @param c an autocommit connection
   * @param wanted the LSN the caller waits for
   * @throws SQLException if the database fails
   */
  public static void request(Connection c, Lsn wanted) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, CHANNEL);
      ps.setString(2, wanted.walText());
      ps.execute();
    }
  }

  /**
   * Waits for requests.
   *
   * @param timeoutMillis the longest wait (0: only what already arrived)
   * @return the LSNs asked for, empty if nobody asked
   * @throws SQLException if the connection fails
   */
  public List<Lsn> await(int timeoutMillis) throws SQLException {
    PGNotification[] got =
        listener.unwrap(PGConnection.class).getNotifications(Math.max(1, timeoutMillis));
    List<Lsn> asked = new ArrayList<>();
    if (got != null) {
      for (PGNotification n : got) {
        try {
          asked.add(Lsn.parse(n.getParameter()));
        } catch (IllegalArgumentException notAnLsn) {
          // Someone else's message on our channel: ignore.
        }
      }
    }
    return asked;
  }

  /**
   * Starts listening for the ingest's progress on a refresh's autocommit connection. Call {@link
   * #stopListening} when the wait ends: a session that listens while nobody reads its connection
   * keeps every later notification of the database in the server's queue.
   *
   * @param c an autocommit connection
   * @throws SQLException if the database fails
   */
  public static void listenForProgress(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("LISTEN " + PROGRESS_CHANNEL);
    }
  }

  /**
   * Waits until the ingest advances {@code ingested_lsn} or the time passes.
   *
   * @param c a connection that listens ({@link #listenForProgress})
   * @param timeoutMillis the longest wait, at least 1
   * @return whether a notification came
   * @throws SQLException if the connection fails
   */
  public static boolean awaitProgress(Connection c, int timeoutMillis) throws SQLException {
    PGNotification[] got =
        c.unwrap(PGConnection.class).getNotifications(Math.max(1, timeoutMillis));
    return got != null && got.length > 0;
  }

  /**
   * Stops listening ({@link #listenForProgress}) and drops the notifications already received.
   *
   * @param c the connection
   * @throws SQLException if the database fails
   */
  public static void stopListening(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("UNLISTEN " + PROGRESS_CHANNEL);
    }
    c.unwrap(PGConnection.class).getNotifications();
  }

  @Override
  public void close() throws SQLException {
    listener.close();
  }
}
