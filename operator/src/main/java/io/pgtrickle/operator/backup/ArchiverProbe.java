package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.backup.pgbackrest.StoreErrors;
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
   * the one {@code next} carries over when the primary cannot be read now. A failing archiver is
   * looked into once an episode ({@link ContinuousArchiving#diagnose}): {@code pgbackrest info} in
   * the primary tells whether the repository is unreachable, its bucket missing, its encryption not
   * spec.backup.encryption's, its stanza missing (then created) or another database's ({@link
   * #diagnose}).
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
    Optional<ArchiveDiagnosis.Diagnosis> diagnosis = Optional.empty();
    if (ContinuousArchiving.diagnose(next.getConditions(), a, generation)) {
      diagnosis = diagnose(client, cluster, members, secrets, a);
    } else if (a.failing()
        && Conditions.find(next.getConditions(), ContinuousArchiving.TYPE)
            .filter(c -> ArchiveDiagnosis.REASONS.contains(c.getReason()))
            .isPresent()) {
      return; // still failing as the last look found
    }
    List<Condition> conditions =
        ContinuousArchiving.with(next.getConditions(), cluster, a, diagnosis, generation, now);
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
   * Why archiving fails, as {@code pgbackrest info} in the primary shows the repository ({@link
   * ArchiveDiagnosis}); a repository without a stanza gets one ({@code pgbackrest stanza-create}),
   * so archiving need not wait for the first backup. Empty when the repository reads fine and is
   * this database's, or the look itself failed (logged).
   */
  private static Optional<ArchiveDiagnosis.Diagnosis> diagnose(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Member> members,
      Function<String, Secret> secrets,
      ContinuousArchiving.Archiver archiver)
      throws InterruptedException {
    String pod = primary(members).orElseThrow().name();
    String repository =
        ObjectStore.describe(
            cluster.getSpec().getBackup().getDestination(), PgBackRest.repositoryPath(cluster));
    RepositoryCommands commands =
        new RepositoryCommands(client, cluster.getMetadata().getNamespace(), pod);
    try {
      String systemIdentifier =
          onPrimary(cluster, members, secrets, ArchiverProbe::systemIdentifier).orElse(null);
      Optional<ArchiveDiagnosis.Diagnosis> found =
          ArchiveDiagnosis.fromInfo(
              commands.infoJson(), PgBackRest.STANZA, systemIdentifier, repository);
      if (found.isPresent() && ArchiveDiagnosis.STANZA_MISSING.equals(found.get().reason())) {
        try {
          commands.stanzaCreate();
          LOG.info(
              "created the stanza of {} in {} (archiving failed without it)",
              cluster.getMetadata().getName(),
              cluster.getMetadata().getNamespace());
          return Optional.of(
              new ArchiveDiagnosis.Diagnosis(
                  ArchiveDiagnosis.STANZA_CREATED,
                  found.get().cause()
                      + ", so the operator created it (pgbackrest stanza-create); archiving"
                      + " resumes at PostgreSQL's next attempt, within a minute"));
        } catch (IllegalStateException e) {
          return Optional.of(
              new ArchiveDiagnosis.Diagnosis(
                  ArchiveDiagnosis.STANZA_MISSING,
                  found.get().cause()
                      + ", and pgbackrest stanza-create failed: "
                      + StoreErrors.concise(e.getMessage())));
        }
      }
      return found;
    } catch (RepositoryCommands.Unreachable e) {
      return Optional.of(
          ArchiveDiagnosis.fromError(
              e.getMessage(),
              archiver.nothingSinceStart(),
              cluster.getSpec().getBackup(),
              cluster.getMetadata().getName(),
              repository));
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

  private static String systemIdentifier(Connection c) throws SQLException {
    try (var s = c.createStatement();
        var rs = s.executeQuery("select system_identifier::text from pg_control_system()")) {
      rs.next();
      return rs.getString(1);
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
