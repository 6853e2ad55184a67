package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.credentials.Credentials;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.tls.MemberJdbc;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
   * the one {@code next} carries over when the primary cannot be read now.
   */
  public static void report(
      PostgresClusterStatus next,
      PostgresCluster cluster,
      List<Member> members,
      Function<String, Secret> secrets,
      Instant now) {
    read(cluster, members, secrets)
        .ifPresent(
            a ->
                next.setConditions(
                    ContinuousArchiving.with(
                        next.getConditions(),
                        cluster,
                        a,
                        cluster.getMetadata().getGeneration(),
                        now)));
  }

  /**
   * The primary's archiver figures; empty when there is no ready primary, no credentials yet, or
   * the primary does not answer now (the caller keeps what it reported before).
   */
  public static Optional<ContinuousArchiving.Archiver> read(
      PostgresCluster cluster, List<Member> members, Function<String, Secret> secrets) {
    Optional<Member> primary =
        members.stream()
            .filter(m -> m.primary() && m.ready() && !m.terminating() && m.podIp() != null)
            .findFirst();
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
        return Optional.of(ContinuousArchiving.read(c));
      }
    } catch (SQLException | RuntimeException e) {
      LOG.info(
          "cannot read pg_stat_archiver of {} in {}: {}",
          primary.get().name(),
          cluster.getMetadata().getNamespace(),
          e.getMessage());
      return Optional.empty();
    }
  }
}
