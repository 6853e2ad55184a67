package io.pgtrickle.operator.backup.pgbackrest;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One backup of a pgBackRest repository, as {@code pgbackrest info --output=json} reports it.
 *
 * @param label pgBackRest's label, e.g. {@code 20240115-020000F} or {@code
 *     20240115-020000F_20240116-020000D}
 * @param type {@code full}, {@code diff} or {@code incr}
 * @param prior the label of the backup it builds on (null for a full one)
 * @param references the labels of every backup it needs (null or empty for a full one)
 * @param started start time (whole seconds)
 * @param stopped stop time (whole seconds)
 * @param databaseBytes size of the database it restores ({@code info.size}, bytes)
 * @param repositoryBytes bytes it takes in the repository after compression ({@code
 *     info.repository.delta}); null when pgBackRest does not report it (block incremental)
 * @param walStart first WAL file the backup needs ({@code archive.start})
 * @param walStop last WAL file the backup needs ({@code archive.stop})
 * @param lsnStart LSN where it started
 * @param lsnStop LSN where it stopped
 * @param annotations the annotations given with {@code --annotation}
 */
public record RepositoryBackup(
    String label,
    String type,
    String prior,
    List<String> references,
    Instant started,
    Instant stopped,
    long databaseBytes,
    Long repositoryBytes,
    String walStart,
    String walStop,
    String lsnStart,
    String lsnStop,
    Map<String, String> annotations) {

  public boolean isFull() {
    return "full".equals(type);
  }

  public String annotation(String key) {
    return annotations == null ? null : annotations.get(key);
  }
}
