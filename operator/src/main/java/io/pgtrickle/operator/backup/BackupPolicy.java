package io.pgtrickle.operator.backup;

import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a PostgresBackup takes next and what its retention removes, from the repository's backups.
 * Pure.
 *
 * <p>Type: the first backup is full; later ones are incremental (changes since the repository's
 * newest backup, whichever resource took it: pgBackRest builds each on the newest one), and a new
 * full is taken when the newest full of this resource is older than {@code days}, or {@code count}
 * backups of this resource have been taken since it, or for a keep-forever backup (it pins only
 * itself). So a chain is at most {@code count} backups long and retention removes whole chains.
 *
 * <p>Retention, after each successful backup: a backup of this resource goes when it is not among
 * its newest {@code count}, or older than {@code days}; except the newest, keep-forever ones, and
 * every backup that a backup which stays (of any resource) builds on, directly or through others
 * (its {@code prior} chain and the backups it references). Other resources' backups are never
 * removed.
 */
public final class BackupPolicy {

  /** Annotation of each backup in the repository: the PostgresBackup that took it. */
  public static final String OWNER_ANNOTATION = BackupNames.BACKUP_LABEL;

  /** Annotation of each backup in the repository: {@code true} when it is kept forever. */
  public static final String KEEP_ANNOTATION = "postgres.example.com/keep-forever";

  private BackupPolicy() {}

  /** This resource's backups, oldest first. */
  public static List<RepositoryBackup> owned(List<RepositoryBackup> all, String owner) {
    return all.stream().filter(b -> owner.equals(b.annotation(OWNER_ANNOTATION))).toList();
  }

  /** {@code full} or {@code incr}: what the next backup of {@code owner} should be. */
  public static String nextType(
      List<RepositoryBackup> all,
      String owner,
      int count,
      int days,
      boolean keepForever,
      Instant now) {
    if (keepForever) {
      return "full";
    }
    List<RepositoryBackup> ours = owned(all, owner);
    int newestFull = -1;
    for (int i = 0; i < ours.size(); i++) {
      if (ours.get(i).isFull()) {
        newestFull = i;
      }
    }
    if (newestFull < 0) {
      return "full";
    }
    RepositoryBackup full = ours.get(newestFull);
    if (full.stopped().isBefore(now.minus(Duration.ofDays(days)))) {
      return "full";
    }
    int sinceFull = ours.size() - newestFull;
    return sinceFull >= count ? "full" : "incr";
  }

  /**
   * The labels to pass to {@code pgbackrest expire --set=LABEL}, in order: each removes that backup
   * and those depending on it, all of which retention removes too.
   */
  public static List<String> expire(
      List<RepositoryBackup> all, String owner, int count, int days, Instant now) {
    List<RepositoryBackup> ours = owned(all, owner);
    if (ours.isEmpty()) {
      return List.of();
    }
    Instant cutoff = now.minus(Duration.ofDays(days));
    Set<String> expired = new LinkedHashSet<>();
    for (int i = 0; i < ours.size() - 1; i++) { // the newest always stays
      RepositoryBackup b = ours.get(i);
      boolean beyondCount = i < ours.size() - count;
      boolean tooOld = b.stopped().isBefore(cutoff);
      if ((beyondCount || tooOld) && !"true".equals(b.annotation(KEEP_ANNOTATION))) {
        expired.add(b.label());
      }
    }
    // A backup that stays keeps everything it builds on, through its whole chain.
    Map<String, RepositoryBackup> byLabel = new HashMap<>();
    all.forEach(b -> byLabel.put(b.label(), b));
    Set<String> needed = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>();
    for (RepositoryBackup b : all) {
      if (!expired.contains(b.label())) {
        pending.addAll(dependencies(b));
      }
    }
    while (!pending.isEmpty()) {
      String label = pending.pop();
      RepositoryBackup b = byLabel.get(label);
      if (needed.add(label) && b != null) {
        pending.addAll(dependencies(b));
      }
    }
    expired.removeAll(needed);
    // expire --set on a full removes its dependents: name only the ones not under an expired full.
    List<String> sets = new ArrayList<>();
    for (RepositoryBackup b : ours) {
      if (!expired.contains(b.label())) {
        continue;
      }
      boolean underExpired = dependencies(b).stream().anyMatch(expired::contains);
      if (!underExpired) {
        sets.add(b.label());
      }
    }
    return sets;
  }

  /** The backups {@code b} builds on directly: its prior and those it references. */
  private static List<String> dependencies(RepositoryBackup b) {
    List<String> labels = new ArrayList<>();
    if (b.prior() != null) {
      labels.add(b.prior());
    }
    if (b.references() != null) {
      labels.addAll(b.references());
    }
    return labels;
  }
}
