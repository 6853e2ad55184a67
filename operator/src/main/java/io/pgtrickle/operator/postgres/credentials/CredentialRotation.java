package io.pgtrickle.operator.postgres.credentials;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.status.ObservedCluster;
import io.pgtrickle.operator.postgres.tls.MemberJdbc;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the database and Patroni on the passwords of the cluster's Secrets. When a user edits a
 * password in {@code NAME-credentials} or {@code NAME-replication}, one reconcile changes the
 * role's password on the primary (so the old one stops working at once), records the new passwords
 * in {@code NAME-applied-credentials} with the next generation and emits {@code
 * CredentialsChanged}; the pod template carries that generation, so the members then restart one at
 * a time (replicas first, the primary after a switchover) and Patroni runs with the new passwords
 * (it reads them from its environment at start). User names cannot change: a renamed user is
 * reported and nothing is applied until it is restored.
 */
public final class CredentialRotation {

  private static final Logger LOG = LoggerFactory.getLogger(CredentialRotation.class);

  public static final String CHANGED = "CredentialsChanged";
  public static final String NOT_APPLIED = "CredentialsNotApplied";

  /** What a round did: whether to look again soon, and a problem for the status. */
  public record Outcome(boolean retrySoon, ObservedCluster.Finding problem) {
    static final Outcome DONE = new Outcome(false, null);
    static final Outcome WAIT = new Outcome(true, null);
  }

  private final RolePasswords roles;

  public CredentialRotation(RolePasswords roles) {
    this.roles = roles;
  }

  /**
   * One round. {@code credentials}, {@code replication} and {@code applied} are the three Secrets
   * as the informer has them (null when missing); {@code synchronous} and {@code members} decide
   * whether a primary can take the change now; {@code secrets} looks up the serving TLS Secret by
   * name (the primary is verified against its CA when TLS is on).
   *
   * @throws MemberJdbc.NoCaException when TLS is on and that Secret has no CA
   */
  public Outcome reconcile(
      KubernetesClient client,
      PostgresCluster cluster,
      Secret credentials,
      Secret replication,
      Secret applied,
      boolean synchronous,
      List<Member> members,
      Function<String, Secret> secrets) {
    Optional<Credentials> wanted = Credentials.fromSecrets(credentials, replication);
    if (wanted.isEmpty()) {
      return Outcome.DONE;
    }
    Optional<Credentials> current = Credentials.fromApplied(applied);
    if (current.isEmpty()) {
      // The cluster bootstraps with the Secrets' passwords (or was created before this record
      // existed, and runs with them): record them as applied.
      write(client, cluster, wanted.get(), AppliedCredentials.generation(applied), null);
      return Outcome.DONE;
    }
    if (current.get().equals(wanted.get())) {
      return Outcome.DONE;
    }
    List<String> renamed = current.get().usersRenamedIn(wanted.get());
    if (!renamed.isEmpty()) {
      return new Outcome(
          false,
          new ObservedCluster.Finding(
              NOT_APPLIED,
              "User names cannot change ("
                  + String.join(", ", renamed)
                  + "): restore them in Secrets "
                  + ClusterNames.credentialsSecret(cluster)
                  + " and "
                  + ClusterNames.replicationSecret(cluster)
                  + "; their passwords are applied once the names are back"));
    }
    List<Credentials.Role> changed = current.get().rolesChangedIn(wanted.get());
    if (!changed.isEmpty()) {
      Optional<Member> primary = members.stream().filter(m -> m.primary() && m.ready()).findFirst();
      boolean standbyReady =
          members.stream().anyMatch(m -> !m.primary() && m.ready() && !m.terminating());
      if (primary.isEmpty() || primary.get().podIp() == null || (synchronous && !standbyReady)) {
        LOG.info(
            "new passwords of {} wait for a ready primary{}",
            cluster.getMetadata().getName(),
            synchronous ? " and standby" : "");
        return Outcome.WAIT;
      }
      roles.apply(
          MemberJdbc.target(cluster, primary.get(), secrets),
          current.get().superuser(),
          current.get().superuserPassword(),
          wanted.get().superuserPassword(),
          changed);
    }
    boolean restApiChanged =
        !Objects.equals(current.get().restApiPassword(), wanted.get().restApiPassword());
    String previousRestApi =
        restApiChanged
            ? current.get().restApiPassword()
            : AppliedCredentials.previousRestApiPassword(applied);
    long generation = AppliedCredentials.generation(applied) + 1;
    write(client, cluster, wanted.get(), generation, previousRestApi);
    String what =
        changed.isEmpty()
            ? "Patroni's REST API password"
            : "the passwords of "
                + changed.stream().map(Credentials.Role::name).collect(Collectors.joining(", "))
                + (restApiChanged ? " and Patroni's REST API password" : "");
    LOG.info(
        "applied new credentials of {}/{}: {}",
        cluster.getMetadata().getNamespace(),
        cluster.getMetadata().getName(),
        what);
    EventRecorder.normal(
        client,
        cluster,
        CHANGED,
        "Applied "
            + what
            + " from the cluster's Secrets; members restart one at a time so that Patroni uses"
            + " them");
    return Outcome.DONE;
  }

  private static void write(
      KubernetesClient client,
      PostgresCluster cluster,
      Credentials values,
      long generation,
      String previousRestApiPassword) {
    Secret record = AppliedCredentials.of(cluster, values, generation, previousRestApiPassword);
    record
        .getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion(cluster.getApiVersion())
                    .withKind(cluster.getKind())
                    .withName(cluster.getMetadata().getName())
                    .withUid(cluster.getMetadata().getUid())
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                    .build()));
    client
        .resource(record)
        .fieldManager(ClusterNames.FIELD_MANAGER)
        .forceConflicts()
        .serverSideApply();
  }
}
