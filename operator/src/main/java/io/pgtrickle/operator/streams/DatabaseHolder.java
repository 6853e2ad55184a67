package io.pgtrickle.operator.streams;

import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
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

  private DatabaseHolder() {}

  /**
   * Records {@code stc} as the holder unless another live StreamTableCluster is.
   *
   * @param c a connection to the database (auto-commit)
   * @param stc the pipeline
   * @param all every StreamTableCluster the operator knows, to tell a live holder from a gone one
   * @return the other live holder, if there is one
   * @throws SQLException on a database error
   */
  static Optional<StreamTableCluster> claim(
      Connection c, StreamTableCluster stc, Collection<StreamTableCluster> all)
      throws SQLException {
    Optional<String> uid = holderUid(c);
    if (uid.isPresent() && !uid.get().equals(stc.getMetadata().getUid())) {
      Optional<StreamTableCluster> other =
          all.stream().filter(o -> uid.get().equals(o.getMetadata().getUid())).findFirst();
      if (other.isPresent()) {
        return other;
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
    try (PreparedStatement ps =
        c.prepareStatement("SELECT obj_description(to_regnamespace(?)::oid, 'pg_namespace')")) {
      ps.setString(1, ChangeLogTarget.POSTGRES_SCHEMA);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? uidIn(rs.getString(1)) : Optional.empty();
      }
    }
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
