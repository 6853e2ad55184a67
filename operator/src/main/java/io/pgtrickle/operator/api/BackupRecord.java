package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One backup in the repository, as {@code pgbackrest info} reports it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupRecord {

  @JsonPropertyDescription("pgBackRest's label of the backup, e.g. 20240115-020000F.")
  private String name;

  @JsonPropertyDescription("full, diff (changes since the full) or incr (since the previous).")
  private String type;

  @JsonPropertyDescription("When the backup started (UTC, RFC 3339).")
  private String started;

  @JsonPropertyDescription("When the backup completed (UTC, RFC 3339).")
  private String completed;

  @JsonPropertyDescription("Size of the database it holds, e.g. 1.2GB.")
  private String size;

  @JsonPropertyDescription("Bytes it takes in the repository after compression (and its delta).")
  private Long repositoryBytes;

  @JsonPropertyDescription("Kept forever: retention never removes it.")
  private Boolean keepForever;

  @JsonPropertyDescription("First WAL file the backup needs (pgBackRest archive.start).")
  private String walStart;

  @JsonPropertyDescription("Last WAL file the backup needs (pgBackRest archive.stop).")
  private String walStop;

  @JsonPropertyDescription("LSN where the backup started.")
  private String lsnStart;

  @JsonPropertyDescription("LSN where the backup stopped.")
  private String lsnStop;

  public String getWalStart() {
    return walStart;
  }

  public void setWalStart(String walStart) {
    this.walStart = walStart;
  }

  public String getWalStop() {
    return walStop;
  }

  public void setWalStop(String walStop) {
    this.walStop = walStop;
  }

  public String getLsnStart() {
    return lsnStart;
  }

  public void setLsnStart(String lsnStart) {
    this.lsnStart = lsnStart;
  }

  public String getLsnStop() {
    return lsnStop;
  }

  public void setLsnStop(String lsnStop) {
    this.lsnStop = lsnStop;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getType() {
    return type;
  }

  public void setType(String type) {
    this.type = type;
  }

  public String getStarted() {
    return started;
  }

  public void setStarted(String started) {
    this.started = started;
  }

  public String getCompleted() {
    return completed;
  }

  public void setCompleted(String completed) {
    this.completed = completed;
  }

  public String getSize() {
    return size;
  }

  public void setSize(String size) {
    this.size = size;
  }

  public Long getRepositoryBytes() {
    return repositoryBytes;
  }

  public void setRepositoryBytes(Long repositoryBytes) {
    this.repositoryBytes = repositoryBytes;
  }

  public Boolean getKeepForever() {
    return keepForever;
  }

  public void setKeepForever(Boolean keepForever) {
    this.keepForever = keepForever;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BackupRecord other
        && Objects.equals(name, other.name)
        && Objects.equals(type, other.type)
        && Objects.equals(started, other.started)
        && Objects.equals(completed, other.completed)
        && Objects.equals(size, other.size)
        && Objects.equals(repositoryBytes, other.repositoryBytes)
        && Objects.equals(keepForever, other.keepForever)
        && Objects.equals(walStart, other.walStart)
        && Objects.equals(walStop, other.walStop)
        && Objects.equals(lsnStart, other.lsnStart)
        && Objects.equals(lsnStop, other.lsnStop);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        name,
        type,
        started,
        completed,
        size,
        repositoryBytes,
        keepForever,
        walStart,
        walStop,
        lsnStart,
        lsnStop);
  }
}
