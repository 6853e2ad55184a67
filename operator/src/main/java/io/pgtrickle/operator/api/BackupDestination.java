package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where pgBackRest keeps its repository. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupDestination {

  @JsonPropertyDescription("Repository type: PVC (default), S3, GCS or Azure.")
  private DestinationType type;

  @JsonPropertyDescription("Bucket (S3, GCS) or container (Azure).")
  private String bucket;

  @JsonPropertyDescription("Region of an S3 bucket.")
  private String region;

  @JsonPropertyDescription("Endpoint of an S3-compatible server, e.g. https://minio.example:9000.")
  private String endpoint;

  @JsonPropertyDescription(
      "Path of the repository inside the bucket or volume. Default /pgbackrest/NAMESPACE/CLUSTER.")
  private String path;

  @JsonPropertyDescription(
      "Secret with the object store credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, GCS key.json, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY).")
  private String credentialsSecret;

  @JsonPropertyDescription("Size of the repository volume when type is PVC, a Kubernetes quantity.")
  private String size;

  public DestinationType getType() {
    return type;
  }

  public void setType(DestinationType type) {
    this.type = type;
  }

  public String getBucket() {
    return bucket;
  }

  public void setBucket(String bucket) {
    this.bucket = bucket;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public String getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(String credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }

  public String getSize() {
    return size;
  }

  public void setSize(String size) {
    this.size = size;
  }
}
