package io.pgtrickle.operator.streams;

import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which StreamTableCluster holds a database, recorded in the database itself: the comment of the
 * change log's schema ({@link ChangeLogTarget#POSTGRES_SCHEMA}). {@link DatabaseClaims} compares
 * the specs, and cannot tell that a pipeline naming the primary's address or another Service
 * reaches the same database as one naming the PostgresCluster: such a second pipeline ran, and its
 * deletion dropped the schema the first one read (change events lost). The comment tells, whatever
 * the spec says.
 *
 * <p>The first pipeline to find the schema without a holder, or with one that no longer exists,
 * records itself. Recording is best effort: a user that does not own the schema (it was made by
 * another role) cannot comment on it, and its pipeline runs as it did before holders were recorded
 * rather than stop on a bookkeeping detail. A pipeline finding another live one is refused as
 * {@link DatabaseClaims} refuses it, and a deletion removes the schema only when it holds it (or
 * nobody does).
 */
final class DatabaseHolder {

  private static final Pattern UID = Pattern.compile("\\(uid ([0-9A-Za-z-]+)\\)");

  private static final Pattern HOLDER =
      Pattern.compile("StreamTableCluster ([-a-z0-9]+)/([-a-z0-9]+) \\(uid ([0-9A-Za-z-]+)\\)");

  /**
   * The holder a schema comment records.
   *
   * @param namespace its namespace, or null in a comment that names only the uid
   * @param name its name, or null likewise
   * @param uid its uid
   */
  record Recorded(String namespace, String name, String uid) {}

  /** How {@link #claim} asks whether a recorded holder still exists. */
  @FunctionalInterface
  interface Lookup {
    /**
     * @return why the caller may not run (the holder still exists, or may), or empty when it is
     *     gone
     */
    Optional<String> refusal(Recorded recorded);
  }

  private DatabaseHolder() {}

  /**
   * Records {@code stc} as the holder unless another live StreamTableCluster is.
   *
   * @param c a connection to the database (auto-commit)
   * @param stc the pipeline
   * @param lookup tells a live holder from a gone one ({@link LiveHolder})
   * @return why {@code stc} may not run: another holder lives (or may), if so
   * @throws SQLException on a database error
   */
  static Optional<String> claim(Connection c, StreamTableCluster stc, Lookup lookup)
      throws SQLException {
    Optional<Recorded> holder = holder(c);
    Optional<String> uid = holder.map(Recorded::uid);
    if (uid.isPresent() && !uid.get().equals(stc.getMetadata().getUid())) {
      Optional<String> refusal = lookup.refusal(holder.get());
      if (refusal.isPresent()) {
        return refusal;
      }
    }
    if (uid.isEmpty() || !uid.get().equals(stc.getMetadata().getUid())) {
      try (Statement s = c.createStatement()) {
        s.execute(
            "DO $$BEGIN IF to_regnamespace('"
                + ChangeLogTarget.POSTGRES_SCHEMA
                + "') IS NOT NULL THEN EXECUTE 'COMMENT ON SCHEMA "
                + ChangeLogTarget.POSTGRES_SCHEMA
                + " IS "
                + comment(stc).replace("'", "''")
                + "'; END IF; EXCEPTION WHEN insufficient_privilege THEN NULL; END$$");
      }
    }
    return Optional.empty();
  }

  /**
   * The uid of the StreamTableCluster recorded as holding the database.
   *
   * @return empty when the schema does not exist or records no holder
   * @throws SQLException on a database error
   */
  static Optional<String> holderUid(Connection c) throws SQLException {
    return holder(c).map(Recorded::uid);
  }

  /**
   * The StreamTableCluster recorded as holding the database.
   *
   * @return empty when the schema does not exist or records no holder
   * @throws SQLException on a database error
   */
  static Optional<Recorded> holder(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT obj_description(to_regnamespace(?)::oid, 'pg_namespace')")) {
      ps.setString(1, ChangeLogTarget.POSTGRES_SCHEMA);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? recordedIn(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /** The holder in a comment written by {@link #comment}, if any. */
  static Optional<Recorded> recordedIn(String comment) {
    if (comment == null) {
      return Optional.empty();
    }
    Matcher m = HOLDER.matcher(comment);
    if (m.find()) {
      return Optional.of(new Recorded(m.group(1), m.group(2), m.group(3)));
    }
    return uidIn(comment).map(uid -> new Recorded(null, null, uid));
  }

  /** The schema's comment naming {@code stc}. */
  static String comment(StreamTableCluster stc) {
    return "'held by StreamTableCluster "
        + stc.getMetadata().getNamespace()
        + "/"
        + stc.getMetadata().getName()
        + " (uid "
        + stc.getMetadata().getUid()
        + "): the pg-trickle operator removes this schema only when that one is deleted'";
  }

  /** The uid in a comment written by {@link #comment}, if any. */
  static Optional<String> uidIn(String comment) {
    if (comment == null) {
      return Optional.empty();
    }
    Matcher m = UID.matcher(comment);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }
}
