package io.pgtrickle.operator.backup;

import io.pgtrickle.operator.naming.KubernetesLimits;

/** Every name and label of a PostgresBackup and of the backups it takes, in one place. */
public final class BackupNames {

  /**
   * The longest name a PostgresBackup may have: it becomes the value of the label {@link
   * #BACKUP_LABEL} and of pgBackRest's annotation on each backup it takes (a label value, 63).
   */
  public static final int MAX_NAME_LENGTH = KubernetesLimits.LABEL;

  /** The CRD's rule on {@code metadata.name} (CEL at the root of the schema). */
  public static final String NAME_LENGTH_RULE = "size(self.metadata.name) <= 63";

  public static final String NAME_LENGTH_MESSAGE =
      "metadata.name must be at most 63 characters: it labels the backups this resource takes";

  public static final String NAME_FORMAT_RULE =
      "self.metadata.name.matches('" + KubernetesLimits.DNS_1035_LABEL + "')";

  public static final String NAME_FORMAT_MESSAGE =
      "metadata.name must consist of lower-case letters, digits and '-', start with a letter and"
          + " end with a letter or digit";

  /** Label (and pgBackRest backup annotation) naming the PostgresBackup a backup belongs to. */
  public static final String BACKUP_LABEL = "postgres.example.com/backup";

  private BackupNames() {}
}
