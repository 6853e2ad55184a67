package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a failed backup Job's condition {@code LastBackupSucceeded} False says: the Job's own reason
 * ({@code BackoffLimitExceeded}, {@code DeadlineExceeded}) and message ({@link JobOutcome}), unless
 * the repository tells why: its stanza is another database's ({@value
 * ArchiveDiagnosis#OTHER_DATABASE}, worded as {@link ArchiveDiagnosis#otherDatabase}), and then
 * reason and message say so, naming both system identifiers, the Job's message after. pgBackRest's
 * own error names neither ({@code stanza-create}: "ERROR: [028]: backup and archive info files
 * exist but do not match the database"). Pure. (A backup trial, 2026-12-07: a backup of a cluster
 * created again at its predecessor's path read only "BackoffLimitExceeded".)
 */
final class BackupFailure {

  /** The condition's reason when the Job gave none. */
  static final String FAILED = "BackupFailed";

  /** The annotation of Patroni's {@code SCOPE-config} ConfigMap holding the system identifier. */
  static final String INITIALIZE_ANNOTATION = "initialize";

  /** A reason and message for the condition, the message also the Warning Event's. */
  record Failure(String reason, String message) {}

  private BackupFailure() {}

  /**
   * @param outcome the failed Job's ({@link JobOutcome#of})
   * @param infoJson {@code pgbackrest info --output=json} as this reconcile read it, or null when
   *     it could not be read
   * @param systemIdentifier the database's ({@link #systemIdentifier}), or null when unknown
   * @param repository the repository as messages name it
   */
  static Failure of(
      JobOutcome outcome, String infoJson, String systemIdentifier, String repository) {
    Optional<String> other =
        infoJson == null
            ? Optional.empty()
            : ArchiveDiagnosis.otherSystemIdentifier(
                infoJson, io.pgtrickle.operator.backup.spec.PgBackRest.STANZA, systemIdentifier);
    if (other.isPresent()) {
      ArchiveDiagnosis.Diagnosis d =
          ArchiveDiagnosis.otherDatabase(
              repository,
              other.get(),
              systemIdentifier,
              "pgBackRest refuses to back this cluster up");
      return new Failure(d.reason(), d.cause() + "; " + outcome.message());
    }
    return new Failure(outcome.reason() == null ? FAILED : outcome.reason(), outcome.message());
  }

  /**
   * The database's system identifier as Patroni recorded it at bootstrap (Kubernetes DCS: the
   * annotation {@value #INITIALIZE_ANNOTATION} of its {@code SCOPE-config} ConfigMap, {@code
   * pg_control_system()}'s {@code system_identifier}, which Patroni checks at each start); null
   * when absent or empty (the first member still bootstraps).
   */
  static String systemIdentifier(ConfigMap patroniConfig) {
    Map<String, String> annotations =
        patroniConfig == null ? null : patroniConfig.getMetadata().getAnnotations();
    String id = annotations == null ? null : annotations.get(INITIALIZE_ANNOTATION);
    return id == null || id.isBlank() ? null : id;
  }
}
