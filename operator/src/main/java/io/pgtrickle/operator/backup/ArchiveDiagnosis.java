package io.pgtrickle.operator.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.backup.pgbackrest.StoreErrors;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Why {@code archive_command} (pgBackRest's archive-push) fails, from the repository as {@code
 * pgbackrest info} in the primary reads it: the reason and cause the condition {@code
 * ContinuousArchiving} then shows instead of "pgBackRest's error is in the primary's PostgreSQL
 * log". Pure. (A backup trial, 2026-12-07, found a missing bucket, a missing stanza and another
 * cluster's stanza all reported alike.)
 */
public final class ArchiveDiagnosis {

  /** The repository has no stanza: no backup created it yet, and the operator could not. */
  public static final String STANZA_MISSING = "RepositoryStanzaMissing";

  /** The repository had no stanza and the operator created it ({@code stanza-create}). */
  public static final String STANZA_CREATED = "RepositoryStanzaCreated";

  /** The stanza is another database's (its system identifier is not this cluster's). */
  public static final String OTHER_DATABASE = "RepositoryOfAnotherDatabase";

  /** The reasons a diagnosis gives; kept while archiving keeps failing. */
  public static final Set<String> REASONS =
      Set.of(
          STANZA_MISSING,
          STANZA_CREATED,
          OTHER_DATABASE,
          RepositoryEncryption.MISMATCH,
          BackupOutcomes.BUCKET_MISSING,
          BackupOutcomes.REPOSITORY_UNREACHABLE);

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A reason for the condition and what to tell the user. */
  public record Diagnosis(String reason, String cause) {}

  private ArchiveDiagnosis() {}

  /**
   * From pgBackRest's error when {@code info} found the repository unreadable (its status 99).
   *
   * @param nothingSinceStart whether nothing was archived since PostgreSQL started: only then can
   *     the repository's encryption be the cause (a push that worked had the same settings)
   * @param repository the repository as messages name it
   */
  public static Diagnosis fromError(
      String error,
      boolean nothingSinceStart,
      BackupSpec backup,
      String clusterName,
      String repository) {
    if (nothingSinceStart) {
      Optional<String> mismatch =
          RepositoryEncryption.mismatch(error, backup, clusterName, repository);
      if (mismatch.isPresent()) {
        return new Diagnosis(RepositoryEncryption.MISMATCH, mismatch.get());
      }
    }
    String concise = StoreErrors.concise(error);
    if (StoreErrors.bucketMissing(error)) {
      return new Diagnosis(
          BackupOutcomes.BUCKET_MISSING,
          "repository "
              + repository
              + ": the store answered that the bucket does not exist ("
              + concise
              + "); create it (pgBackRest creates neither buckets nor containers)");
    }
    return new Diagnosis(
        BackupOutcomes.REPOSITORY_UNREACHABLE,
        "repository " + repository + " is unreachable: " + concise);
  }

  /**
   * From {@code pgbackrest info --output=json} of a repository it could read: the stanza missing
   * (status code 1, "missing stanza path"), or its newest database's {@code system-id} not {@code
   * systemIdentifier} (the primary's {@code pg_control_system()}); empty when neither.
   *
   * @param systemIdentifier the primary's, or null when unknown
   */
  public static Optional<Diagnosis> fromInfo(
      String json, String stanza, String systemIdentifier, String repository) {
    JsonNode s = stanza(json, stanza);
    if (s == null) {
      return Optional.empty();
    }
    if (s.path("status").path("code").asInt() == 1) {
      return Optional.of(
          new Diagnosis(
              STANZA_MISSING,
              "repository "
                  + repository
                  + " has no stanza yet (pgBackRest: "
                  + s.path("status").path("message").asText("missing stanza path")
                  + ")"));
    }
    return otherSystemIdentifier(s, systemIdentifier)
        .map(
            other ->
                otherDatabase(
                    repository, other, systemIdentifier, "pgBackRest refuses this cluster's WAL"));
  }

  /**
   * The system identifier of the newest database (highest {@code id}) of {@code stanza} in {@code
   * pgbackrest info --output=json}, when it is not {@code systemIdentifier}: the stanza is another
   * database's, and pgBackRest refuses both this database's WAL ({@code archive-push}) and its
   * backups ({@code stanza-create}: "backup and archive info files exist but do not match the
   * database"). Empty when it is this database's, the stanza is absent or has no database yet, the
   * identifier is unknown or the text is not JSON.
   *
   * @param systemIdentifier this database's ({@code pg_control_system()}), or null when unknown
   */
  public static Optional<String> otherSystemIdentifier(
      String json, String stanza, String systemIdentifier) {
    JsonNode s = stanza(json, stanza);
    return s == null ? Optional.empty() : otherSystemIdentifier(s, systemIdentifier);
  }

  /**
   * A {@value #OTHER_DATABASE} diagnosis: "repository R holds the stanza of another database
   * (system identifier OTHER, this cluster's is OURS), e.g. ...: REFUSED. Point
   * spec.backup.destination at a new repository ..., or remove the old one ...".
   *
   * @param refused what pgBackRest refuses, e.g. "pgBackRest refuses this cluster's WAL"
   */
  public static Diagnosis otherDatabase(
      String repository,
      String repositorySystemIdentifier,
      String systemIdentifier,
      String refused) {
    return new Diagnosis(
        OTHER_DATABASE,
        "repository "
            + repository
            + " holds the stanza of another database (system identifier "
            + repositorySystemIdentifier
            + ", this cluster's is "
            + systemIdentifier
            + "), e.g. of a cluster deleted and created again under the same name: "
            + refused
            + ". Point spec.backup.destination at a new repository (another path, bucket, endpoint"
            + " or type), or remove the old one (its backups are the other database's)");
  }

  private static Optional<String> otherSystemIdentifier(JsonNode s, String systemIdentifier) {
    JsonNode newest = null;
    for (JsonNode db : s.path("db")) {
      if (newest == null || db.path("id").asInt() > newest.path("id").asInt()) {
        newest = db;
      }
    }
    if (newest != null
        && systemIdentifier != null
        && newest.hasNonNull("system-id")
        && !newest.path("system-id").asText().equals(systemIdentifier)) {
      return Optional.of(newest.path("system-id").asText());
    }
    return Optional.empty();
  }

  /** The entry of {@code stanza} in info's JSON, or null (absent, or not JSON). */
  private static JsonNode stanza(String json, String stanza) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      return null;
    }
    for (JsonNode s : root == null ? JSON.createArrayNode() : root) {
      if (stanza.equals(s.path("name").asText())) {
        return s;
      }
    }
    return null;
  }
}
