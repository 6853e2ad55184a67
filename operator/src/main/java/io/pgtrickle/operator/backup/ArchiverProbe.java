package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.backup.spec.ObjectStore;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.credentials.Credentials;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.tls.MemberJdbc;
import io.pgtrickle.operator.status.Conditions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the ready primary's {@code pg_stat_archiver} as the superuser (JDBC, {@code verify-full}
 * when TLS is on, 3 s to connect, 5 s per query), for {@link ContinuousArchiving}.
 */
public final class ArchiverProbe {

  private static final Logger LOG = LoggerFactory.getLogger(ArchiverProbe.class);
  private static final int CONNECT_TIMEOUT_SECONDS = 3;
  private static final int SOCKET_TIMEOUT_SECONDS = 5;

  private ArchiverProbe() {}

  /**
   * Sets {@link ContinuousArchiving}'s condition in {@code next} from the primary's archiver; keeps
   * the one {@code next} carries over when the primary cannot be read now. A failing archiver that
   * has archived nothing since PostgreSQL started is looked into once ({@link
   * ContinuousArchiving#diagnose}): {@code pgbackrest info} in the primary tells whether the
   * repository's encryption is not spec.backup.encryption's ({@link RepositoryEncryption}).
   */
  public static void report(
      KubernetesClient client,
      PostgresClusterStatus next,
      PostgresCluster cluster,
      List<Member> members,
      Function<String, Secret> secrets,
      Instant now)
      throws InterruptedException {
    Optional<ContinuousArchiving.Archiver> read = read(cluster, members, secrets);
    if (read.isEmpty()) {
      return;
    }
    ContinuousArchiving.Archiver a = read.get();
    long generation = cluster.getMetadata().getGeneration();
    Optional<String> mismatch = Optional.empty();
    if (ContinuousArchiving.diagnose(next.getConditions(), a, generation)) {
      mismatch = encryptionMismatch(client, cluster, primary(members).orElseThrow().name());
    } else if (a.failing()
        && Conditions.find(next.getConditions(), ContinuousArchiving.TYPE)
            .filter(c -> RepositoryEncryption.MISMATCH.equals(c.getReason()))
            .isPresent()) {
      return; // still failing as the last look found
    }
    List<Condition> conditions =
        ContinuousArchiving.with(next.getConditions(), cluster, a, mismatch, generation, now);
    // Only while the repository answers: a look at one that does not holds the reconcile for
    // pgBackRest's retries (about 20 s), and WAL waiting longer than a push takes says it may not.
    boolean answering =
        !a.failing()
            && (a.waiting() == 0
                || (a.oldestWaiting() != null
                    && a.oldestWaiting().isAfter(now.minus(ArchiveCoverageProbe.PUSH_TIME))));
    if (answering) {
      Optional<ArchiveCoverageProbe.Finding> finding =
          ArchiveCoverageProbe.finding(
              client,
              cluster,
              a.lastArchivedWal(),
              () -> onPrimary(cluster, members, secrets, ArchiveCoverageProbe.Primary::read),
              primary(members).orElseThrow().name(),
              now);
      if (finding.isPresent() && finding.get().missing().isPresent()) {
        conditions =
            ContinuousArchiving.withGap(
                next.getConditions(),
                conditions,
                cluster,
                finding.get().missing().get(),
                finding.get().backupLabel(),
                generation,
                now);
      }
    }
    next.setConditions(conditions);
  }

  /**
   * The repository's encryption mismatch as {@code pgbackrest info} in {@code pod} shows it; empty
   * when it reads the repository, or fails for another reason (then logged).
   */
  private static Optional<String> encryptionMismatch(
      KubernetesClient client, PostgresCluster cluster, String pod) throws InterruptedException {
    try {
      new RepositoryCommands(client, cluster.getMetadata().getNamespace(), pod).info();
      return Optional.empty();
    } catch (RepositoryCommands.Unreachable e) {
      return RepositoryEncryption.mismatch(
          e.getMessage(),
          cluster.getSpec().getBackup(),
          cluster.getMetadata().getName(),
          ObjectStore.describe(
              cluster.getSpec().getBackup().getDestination(), PgBackRest.repositoryPath(cluster)));
    } catch (TimeoutException | RuntimeException e) {
      LOG.info(
          "cannot read the repository of {} in {} from {}: {}",
          cluster.getMetadata().getName(),
          cluster.getMetadata().getNamespace(),
          pod,
          e.getMessage());
      return Optional.empty();
    }
  }

  /** Forgets what was looked up for a deleted cluster. */
  public static void forget(PostgresCluster cluster) {
    ArchiveCoverageProbe.forget(cluster.getMetadata().getUid());
  }

  private static Optional<Member> primary(List<Member> members) {
    return members.stream()
        .filter(m -> m.primary() && m.ready() && !m.terminating() && m.podIp() != null)
        .findFirst();
  }

  /**
   * The primary's archiver figures; empty when there is no ready primary, no credentials yet, or
   * the primary does not answer now (the caller keeps what it reported before).
   */
  public static Optional<ContinuousArchiving.Archiver> read(
      PostgresCluster cluster, List<Member> members, Function<String, Secret> secrets) {
    return onPrimary(cluster, members, secrets, ContinuousArchiving::read);
  }

  /** What a SQL read of the primary connection gives. */
  interface PrimaryRead<T> {
    T read(Connection connection) throws SQLException;
  }

  /**
   * {@code read} on a connection to the ready primary as the superuser; empty when there is no
   * ready primary, no credentials yet, or the primary does not answer now (logged).
   */
  static <T> Optional<T> onPrimary(
      PostgresCluster cluster,
      List<Member> members,
      Function<String, Secret> secrets,
      PrimaryRead<T> read) {
    Optional<Member> primary = primary(members);
    Optional<Credentials> login =
        Credentials.fromApplied(secrets.apply(ClusterNames.appliedCredentialsSecret(cluster)))
            .or(
                () ->
                    Credentials.fromSecrets(
                        secrets.apply(ClusterNames.credentialsSecret(cluster)),
                        secrets.apply(ClusterNames.replicationSecret(cluster))));
    if (primary.isEmpty() || login.isEmpty()) {
      return Optional.empty();
    }
    try {
      MemberJdbc.Target target = MemberJdbc.target(cluster, primary.get(), secrets);
      try (Connection c =
          DriverManager.getConnection(
              MemberJdbc.url(target, "postgres"),
              MemberJdbc.properties(
                  target,
                  login.get().superuser(),
                  login.get().superuserPassword(),
                  CONNECT_TIMEOUT_SECONDS,
                  SOCKET_TIMEOUT_SECONDS))) {
        return Optional.of(read.read(c));
      }
    } catch (SQLException | RuntimeException e) {
      LOG.info(
          "cannot read the archiver of {} in {}: {}",
          primary.get().name(),
          cluster.getMetadata().getNamespace(),
          e.getMessage());
      return Optional.empty();
    }
  }
}
