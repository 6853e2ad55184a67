package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.pgtrickle.operator.backup.BackupNames;

/**
 * Backups of a PostgresCluster with pgBackRest into the repository its {@code spec.backup}
 * configures: on a cron schedule (a CronJob), once (a Job, when there is no schedule), and on
 * request with the annotation {@code backup.postgres.example.com/trigger=now}. Old backups are
 * removed after each successful one, by age ({@code retention.days}) and number ({@code
 * retention.count}); a backup taken while the annotation {@code
 * backup.postgres.example.com/keep-forever=true} is set is never removed.
 */
@Group(PostgresCluster.GROUP)
@Version(value = PostgresCluster.VERSION, storage = true, served = true)
@Kind("PostgresBackup")
@Plural("postgresbackups")
@Singular("postgresbackup")
@ShortNames("pgbackup")
@AdditionalPrinterColumn(
    name = "Cluster",
    jsonPath = ".spec.clusterName",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "The PostgresCluster backed up")
@AdditionalPrinterColumn(
    name = "Last Backup",
    jsonPath = ".status.lastBackup",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "When the newest backup of this resource completed (UTC)")
@AdditionalPrinterColumn(
    name = "Size",
    jsonPath = ".status.lastBackupSize",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Size of the database in the newest backup")
@AdditionalPrinterColumn(
    name = "Count",
    jsonPath = ".status.backupCount",
    type = AdditionalPrinterColumn.Type.INTEGER,
    getDescription = "Backups of this resource in the repository")
@AdditionalPrinterColumn(
    name = "Next Scheduled",
    jsonPath = ".status.nextScheduled",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription =
        "When the schedule runs next (UTC); empty while the schedule is suspended (its cluster has"
            + " no spec.backup)")
@AdditionalPrinterColumn(
    name = "Status",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Pending, Scheduled, Running, Succeeded or Failed")
@AdditionalPrinterColumn(
    name = "Message",
    jsonPath = ".status.message",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription = "What the phase waits for, or why it failed (kubectl get -o wide)")
@ValidationRule(
    value = BackupNames.NAME_LENGTH_RULE,
    message = BackupNames.NAME_LENGTH_MESSAGE,
    reason = "FieldValueInvalid")
@ValidationRule(
    value = BackupNames.NAME_FORMAT_RULE,
    message = BackupNames.NAME_FORMAT_MESSAGE,
    reason = "FieldValueInvalid")
public class PostgresBackup extends CustomResource<PostgresBackupSpec, PostgresBackupStatus>
    implements Namespaced {

  /** Take a backup now: {@code kubectl annotate postgresbackup NAME TRIGGER_ANNOTATION=now}. */
  public static final String TRIGGER_ANNOTATION = "backup.postgres.example.com/trigger";

  /** Backups taken while this annotation is {@code "true"} are never expired. */
  public static final String KEEP_FOREVER_ANNOTATION = "backup.postgres.example.com/keep-forever";

  /** Declared here only to mark the spec as required in the generated schema. */
  @Override
  @Required
  @JsonPropertyDescription(
      "Which cluster to back up, when (cron schedule; absent: once) and how long"
          + " backups are kept.")
  public PostgresBackupSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "The last backup, its size, how many backups the repository holds, the next"
          + " scheduled run and conditions.")
  public PostgresBackupStatus getStatus() {
    return super.getStatus();
  }
}
