package io.pgtrickle.operator.backup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.backup.spec.BackupJob;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which member a finished backup read. A backup Job lists every member to pgBackRest, the one it
 * plans to read first ({@value BackupJob#MEMBER_ANNOTATION}, the primary or the replica of {@code
 * backupFromReplica} when the Job was made); pgBackRest itself finds the primary (and a standby)
 * among them when it starts, and does not say which it found. After a failover between the Job's
 * creation and its successful attempt, the planned member is no longer the primary (a backup trial,
 * 2026-12-07: the status named the old primary {@code bk-0} of a backup that {@code bk-1} took on
 * timeline 2).
 *
 * <p>Each promotion starts a timeline, so a backup from the primary read the primary of the
 * timeline its WAL starts on (pgBackRest's {@code archive.start}, whose first 8 hex digits are the
 * timeline); Patroni records who that is in its timeline history (Kubernetes DCS: the annotation
 * {@value #HISTORY_ANNOTATION} of its {@code SCOPE-config} ConfigMap, lines {@code [timeline, lsn,
 * reason, timestamp, new_leader]}, the line of timeline T-1 naming the member that started T;
 * Patroni's {@code Postgresql.get_history}). A standby's backup starts on the primary too, so its
 * timeline says only which member it did not read: the primary of that timeline. Pure.
 */
final class BackupMember {

  /** The annotation of Patroni's {@code SCOPE-config} ConfigMap holding the timeline history. */
  static final String HISTORY_ANNOTATION = "history";

  private static final ObjectMapper JSON = new ObjectMapper();

  private BackupMember() {}

  /**
   * The member the backup read.
   *
   * @param planned the member the Job planned to read first (its annotation), or null
   * @param fromReplica whether the backup read a standby ({@code backupFromReplica})
   * @param walStart the backup's first WAL file ({@code archive.start}, 24 hex digits), or null
   * @param history Patroni's timeline history (JSON), or null
   * @return the member, or empty when it cannot be told: a standby backup whose planned replica was
   *     the primary of the backup's timeline (pgBackRest read another standby)
   */
  static Optional<String> of(String planned, boolean fromReplica, String walStart, String history) {
    Optional<String> leader = timelineLeader(history, timeline(walStart));
    if (!fromReplica) {
      return leader.isPresent() ? leader : Optional.ofNullable(planned);
    }
    if (leader.isPresent() && leader.get().equals(planned)) {
      return Optional.empty();
    }
    return Optional.ofNullable(planned);
  }

  /**
   * The timeline of a WAL file name ({@code TTTTTTTTXXXXXXXXYYYYYYYY}, hex), or 0 when {@code
   * walFile} is not one.
   */
  static long timeline(String walFile) {
    if (walFile == null
        || walFile.length() < 24
        || !walFile.substring(0, 24).matches("[0-9A-F]+")) {
      return 0;
    }
    return Long.parseLong(walFile.substring(0, 8), 16);
  }

  /**
   * The member that started {@code timeline} by its promotion, from Patroni's history; empty for
   * the first timeline (no promotion), an unknown timeline, a line without a member (Patroni before
   * 2.1, or a history cut to {@code max_timelines_history}) or history that is not JSON.
   */
  static Optional<String> timelineLeader(String history, long timeline) {
    if (history == null || history.isBlank() || timeline < 2) {
      return Optional.empty();
    }
    JsonNode lines;
    try {
      lines = JSON.readTree(history);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    for (JsonNode line : lines) {
      if (line.isArray() && line.path(0).asLong(-1) == timeline - 1 && line.size() >= 5) {
        String member = line.get(4).asText("");
        return member.isBlank() ? Optional.empty() : Optional.of(member);
      }
    }
    return Optional.empty();
  }

  /** The first WAL file of the backup {@code label} among {@code backups} (or null), or null. */
  static String walStart(List<RepositoryBackup> backups, String label) {
    if (backups == null) {
      return null;
    }
    return backups.stream()
        .filter(b -> b.label().equals(label))
        .map(RepositoryBackup::walStart)
        .findFirst()
        .orElse(null);
  }

  /** Patroni's timeline history from its {@code SCOPE-config} ConfigMap, or null. */
  static String history(ConfigMap patroniConfig) {
    return annotation(
        patroniConfig == null ? null : patroniConfig.getMetadata(), HISTORY_ANNOTATION);
  }

  /** The member a backup Job planned to read first, or null. */
  static String plannedBy(Job job) {
    return annotation(job == null ? null : job.getMetadata(), BackupJob.MEMBER_ANNOTATION);
  }

  /** The member the Jobs of a CronJob plan to read first, or null. */
  static String plannedByTemplate(CronJob cronJob) {
    if (cronJob == null
        || cronJob.getSpec() == null
        || cronJob.getSpec().getJobTemplate() == null) {
      return null;
    }
    return annotation(
        cronJob.getSpec().getJobTemplate().getMetadata(), BackupJob.MEMBER_ANNOTATION);
  }

  private static String annotation(ObjectMeta metadata, String key) {
    Map<String, String> annotations = metadata == null ? null : metadata.getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}
