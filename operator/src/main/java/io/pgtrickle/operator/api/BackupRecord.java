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
        && Objects.equals(keepForever, other.keepForever);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, started, completed, size, repositoryBytes, keepForever);
  }
}
