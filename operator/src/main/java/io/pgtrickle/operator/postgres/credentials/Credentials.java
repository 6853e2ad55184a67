package io.pgtrickle.operator.postgres.credentials;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The users and passwords a cluster runs with: the PostgreSQL superuser, the replication user, the
 * pg_rewind user, and Patroni's REST API user. Read from the user-facing Secrets ({@code
 * NAME-credentials}, {@code NAME-replication}) or from the operator's record of what it applied
 * ({@code NAME-applied-credentials}). {@link #toString()} never shows a password.
 */
public record Credentials(
    String superuser,
    String superuserPassword,
    String replicationUser,
    String replicationPassword,
    String rewindUser,
    String rewindPassword,
    String restApiUser,
    String restApiPassword) {

  /** A PostgreSQL role and its password. */
  public record Role(String name, String password) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * From the two Secrets users see; empty while either is missing or lacks a key (the Secret is
   * then the user's own, being created or incomplete).
   */
  public static Optional<Credentials> fromSecrets(Secret credentials, Secret replication) {
    if (credentials == null || replication == null) {
      return Optional.empty();
    }
    Map<String, String> c = decoded(credentials);
    Map<String, String> r = decoded(replication);
    Credentials read =
        new Credentials(
            c.get(ClusterSecrets.USERNAME),
            c.get(ClusterSecrets.PASSWORD),
            r.get(ClusterSecrets.USERNAME),
            r.get(ClusterSecrets.PASSWORD),
            r.get(ClusterSecrets.REWIND_USERNAME),
            r.get(ClusterSecrets.REWIND_PASSWORD),
            r.get(ClusterSecrets.RESTAPI_USERNAME),
            r.get(ClusterSecrets.RESTAPI_PASSWORD));
    return read.complete() ? Optional.of(read) : Optional.empty();
  }

  /** From the operator's record {@code NAME-applied-credentials}; empty when it has none. */
  public static Optional<Credentials> fromApplied(Secret applied) {
    if (applied == null) {
      return Optional.empty();
    }
    Map<String, String> a = decoded(applied);
    Credentials read =
        new Credentials(
            a.get(AppliedCredentials.SUPERUSER),
            a.get(AppliedCredentials.SUPERUSER_PASSWORD),
            a.get(AppliedCredentials.REPLICATION_USER),
            a.get(AppliedCredentials.REPLICATION_PASSWORD),
            a.get(AppliedCredentials.REWIND_USER),
            a.get(AppliedCredentials.REWIND_PASSWORD),
            a.get(AppliedCredentials.RESTAPI_USER),
            a.get(AppliedCredentials.RESTAPI_PASSWORD));
    return read.complete() ? Optional.of(read) : Optional.empty();
  }

  boolean complete() {
    return List.of(
            superuser,
            superuserPassword,
            replicationUser,
            replicationPassword,
            rewindUser,
            rewindPassword,
            restApiUser,
            restApiPassword)
        .stream()
        .allMatch(v -> v != null && !v.isEmpty());
  }

  /** The roles whose password differs in {@code wanted}; the superuser first. */
  public List<Role> rolesChangedIn(Credentials wanted) {
    List<Role> changed = new ArrayList<>();
    if (!Objects.equals(superuserPassword, wanted.superuserPassword)) {
      changed.add(new Role(wanted.superuser, wanted.superuserPassword));
    }
    if (!Objects.equals(replicationPassword, wanted.replicationPassword)) {
      changed.add(new Role(wanted.replicationUser, wanted.replicationPassword));
    }
    if (!Objects.equals(rewindPassword, wanted.rewindPassword)) {
      changed.add(new Role(wanted.rewindUser, wanted.rewindPassword));
    }
    return changed;
  }

  /** Names of user names that differ in {@code wanted} ("replicator -> repl"): not supported. */
  public List<String> usersRenamedIn(Credentials wanted) {
    List<String> renamed = new ArrayList<>();
    rename(renamed, superuser, wanted.superuser);
    rename(renamed, replicationUser, wanted.replicationUser);
    rename(renamed, rewindUser, wanted.rewindUser);
    rename(renamed, restApiUser, wanted.restApiUser);
    return renamed;
  }

  private static void rename(List<String> renamed, String from, String to) {
    if (!Objects.equals(from, to)) {
      renamed.add(from + " -> " + to);
    }
  }

  private static Map<String, String> decoded(Secret secret) {
    Map<String, String> out = new java.util.HashMap<>();
    if (secret.getData() != null) {
      secret
          .getData()
          .forEach(
              (k, v) ->
                  out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    if (secret.getStringData() != null) {
      out.putAll(secret.getStringData());
    }
    return out;
  }

  @Override
  public String toString() {
    return "Credentials["
        + superuser
        + ", "
        + replicationUser
        + ", "
        + rewindUser
        + ", "
        + restApiUser
        + "]";
  }
}
