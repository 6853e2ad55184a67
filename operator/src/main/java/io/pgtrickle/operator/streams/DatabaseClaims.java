package io.pgtrickle.operator.streams;

import io.pgtrickle.operator.api.streams.PostgresqlSource;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/**
 * One StreamTableCluster per database. The pgtrickle catalog, the change buffers and the change log
 * of the PostgreSQL-tables backend (schema {@code pgtrickle_changelog}) are per database, so a
 * second pipeline on the same database would run a second set of consumers and workers over the
 * same catalog, and deleting either one would remove the change log the other still reads (change
 * events lost, stream tables silently wrong). The oldest StreamTableCluster of a database (by
 * creation time, then uid) holds it; a younger one is refused in its status (reason {@value
 * #REASON}) and runs nothing, and no deletion removes a change log while another live
 * StreamTableCluster names the same database. Pure functions over the operator's cache.
 */
final class DatabaseClaims {

  /** The status reason of a refused StreamTableCluster. */
  static final String REASON = "DatabaseInUse";

  private static final Comparator<StreamTableCluster> OLDEST_FIRST =
      Comparator.comparing(
              (StreamTableCluster s) ->
                  s.getMetadata().getCreationTimestamp() == null
                      ? ""
                      : s.getMetadata().getCreationTimestamp())
          .thenComparing(s -> s.getMetadata().getUid() == null ? "" : s.getMetadata().getUid());

  private DatabaseClaims() {}

  /**
   * The database a StreamTableCluster maintains, as one string: {@code
   * NAMESPACE/REF-primary:PORT/DB} with a clusterRef (the Service is namespaced), {@code
   * HOST:PORT/DB} with a host.
   */
  static String database(StreamTableCluster stc) {
    PostgresqlSource pg = stc.getSpec() == null ? null : stc.getSpec().getPostgresql();
    if (pg == null) {
      return "";
    }
    int port = pg.getPort() != null ? pg.getPort() : PostgresqlSource.DEFAULT_PORT;
    return (pg.getClusterRef() != null
            ? stc.getMetadata().getNamespace() + "/" + pg.getClusterRef().getName() + "-primary"
            : pg.getHost())
        + ":"
        + port
        + "/"
        + pg.getDatabase();
  }

  /**
   * The StreamTableCluster that holds {@code stc}'s database instead of it: the oldest live one of
   * {@code all} on the same database, if that is not {@code stc}.
   */
  static Optional<StreamTableCluster> heldBy(
      StreamTableCluster stc, Collection<StreamTableCluster> all) {
    String database = database(stc);
    if (database.isEmpty()) {
      return Optional.empty();
    }
    return all.stream()
        .filter(o -> o.getMetadata().getDeletionTimestamp() == null || same(o, stc))
        .filter(o -> database.equals(database(o)))
        .min(OLDEST_FIRST)
        .filter(o -> !same(o, stc));
  }

  /** Another live StreamTableCluster of {@code all} on {@code stc}'s database, if any. */
  static Optional<StreamTableCluster> sharedWith(
      StreamTableCluster stc, Collection<StreamTableCluster> all) {
    String database = database(stc);
    if (database.isEmpty()) {
      return Optional.empty();
    }
    return all.stream()
        .filter(o -> !same(o, stc) && o.getMetadata().getDeletionTimestamp() == null)
        .filter(o -> database.equals(database(o)))
        .min(OLDEST_FIRST);
  }

  /** What a refused StreamTableCluster's status says. */
  static String message(StreamTableCluster holder) {
    return "database "
        + holder.getSpec().getPostgresql().getDatabase()
        + " is already maintained by StreamTableCluster "
        + holder.getMetadata().getNamespace()
        + "/"
        + holder.getMetadata().getName()
        + ": one StreamTableCluster per database (the pgtrickle catalog and the change log are per"
        + " database); this one runs nothing until that one is deleted";
  }

  private static boolean same(StreamTableCluster a, StreamTableCluster b) {
    return a.getMetadata().getUid() != null
        ? a.getMetadata().getUid().equals(b.getMetadata().getUid())
        : a.getMetadata().getName().equals(b.getMetadata().getName())
            && a.getMetadata().getNamespace().equals(b.getMetadata().getNamespace());
  }
}
