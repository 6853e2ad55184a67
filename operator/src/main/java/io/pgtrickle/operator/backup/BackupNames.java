package io.pgtrickle.operator.backup;

import io.pgtrickle.operator.naming.KubernetesLimits;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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

  /** Label of a backup Job: {@code trigger} (one-off or trigger annotation) or {@code schedule}. */
  public static final String JOB_KIND_LABEL = "postgres.example.com/backup-job";

  private BackupNames() {}

  /**
   * The CronJob of a scheduled PostgresBackup: its name, or for a name longer than a CronJob's 52
   * characters its first 45 and a hash of the whole (the controller appends 11 to name its Jobs).
   */
  public static String cronJob(String backup) {
    return fit(backup, "", KubernetesLimits.CRONJOB);
  }

  /**
   * The {@code sequence}-th Job the operator creates itself for a PostgresBackup (its one-off
   * backup and each trigger): {@code NAME-SEQUENCE}, shortened with a hash to fit 63 characters
   * (the Job's name labels its pods).
   */
  public static String job(String backup, int sequence) {
    return fit(backup, "-" + sequence, KubernetesLimits.LABEL);
  }

  /** {@code base + suffix}, or a prefix of base, '-', 6 hex characters of its hash and suffix. */
  static String fit(String base, String suffix, int limit) {
    if (base.length() + suffix.length() <= limit) {
      return base + suffix;
    }
    String prefix = base.substring(0, limit - suffix.length() - 7).replaceAll("-+$", "");
    return prefix + "-" + hash(base) + suffix;
  }

  private static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
