package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Where pgBackRest keeps its repository: a volume of the cluster (PVC, the default) or an object
 * store (S3 and S3-compatible servers, Google Cloud Storage, Azure Blob Storage).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.type) || self.type != 'S3' || (has(self.bucket) && has(self.region))",
    message =
        "spec.backup.destination: type S3 needs bucket and region (S3-compatible servers such as"
            + " MinIO accept any region, e.g. us-east-1)",
    reason = "FieldValueRequired")
@ValidationRule(
    value =
        "!has(self.type) || self.type != 'GCS' || (has(self.bucket) &&"
            + " has(self.credentialsSecret))",
    message =
        "spec.backup.destination: type GCS needs bucket and credentialsSecret (a Secret with"
            + " key.json, a service account key, or with gcsKeyType token an access token in key"
            + " token)",
    reason = "FieldValueRequired")
@ValidationRule(
    value =
        "!has(self.type) || self.type != 'Azure' || (has(self.bucket) &&"
            + " has(self.credentialsSecret))",
    message =
        "spec.backup.destination: type Azure needs bucket (the container) and credentialsSecret"
            + " (a Secret with AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY)",
    reason = "FieldValueRequired")
@ValidationRule(
    value =
        "(has(self.type) && self.type != 'PVC') || !(has(self.bucket) || has(self.region) ||"
            + " has(self.endpoint) || has(self.credentialsSecret) || has(self.gcsKeyType) ||"
            + " has(self.caSecret))",
    message =
        "spec.backup.destination: type PVC (the default) keeps the repository on a volume;"
            + " bucket, region, endpoint, credentialsSecret, gcsKeyType and caSecret are for"
            + " object stores"
            + " (type S3, GCS or Azure)",
    reason = "FieldValueForbidden")
// The bucket, container, region and path are written as values into pgbackrest.conf: a newline
// would add options, and a name the store refuses fails only at the first WAL push.
@ValidationRule(
    value =
        "!has(self.bucket) || !has(self.type) || self.type != 'S3' ||"
            + " (self.bucket.matches('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')"
            + " && !self.bucket.contains('..')"
            + " && !self.bucket.matches('^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')"
            + " && !['xn--', 'sthree-', 'amzn-s3-demo-'].exists(p, self.bucket.startsWith(p))"
            + " && !['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']"
            + ".exists(x, self.bucket.endsWith(x)))",
    message =
        "spec.backup.destination.bucket: an S3 bucket name is 3 to 63 lowercase letters, digits,"
            + " '.' and '-', starting and ending with a letter or digit, without '..', not an IP"
            + " address, not starting with xn--, sthree- or amzn-s3-demo- and not ending with"
            + " -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3 (S3's bucket naming rules)",
    reason = "FieldValueInvalid",
    fieldPath = ".bucket")
@ValidationRule(
    value =
        "!has(self.bucket) || !has(self.type) || self.type != 'GCS' ||"
            + " (self.bucket.matches('^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$')"
            + " && !self.bucket.matches('[^.]{64}') && !self.bucket.contains('..')"
            + " && !self.bucket.matches('^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')"
            + " && !self.bucket.startsWith('goog') && !self.bucket.contains('google'))",
    message =
        "spec.backup.destination.bucket: a GCS bucket name is 3 to 222 lowercase letters,"
            + " digits, '-', '_' and '.', starting and ending with a letter or digit, in"
            + " dot-separated parts of at most 63, not an IP address, not starting with goog and"
            + " not holding google (Cloud Storage's bucket naming rules)",
    reason = "FieldValueInvalid",
    fieldPath = ".bucket")
@ValidationRule(
    value =
        "!has(self.bucket) || !has(self.type) || self.type != 'Azure' ||"
            + " (size(self.bucket) >= 3 && size(self.bucket) <= 63"
            + " && self.bucket.matches('^[a-z0-9](-?[a-z0-9])*$'))",
    message =
        "spec.backup.destination.bucket: an Azure container name is 3 to 63 lowercase letters,"
            + " digits and '-', starting and ending with a letter or digit, with no '--' (Azure"
            + " Blob Storage's container naming rules)",
    reason = "FieldValueInvalid",
    fieldPath = ".bucket")
@ValidationRule(
    value = "!has(self.region) || !has(self.type) || self.type == 'S3'",
    message =
        "spec.backup.destination.region is the region of an S3 bucket: type S3 only (GCS and Azure"
            + " take the bucket or container and, for emulators, an endpoint)",
    reason = "FieldValueForbidden")
@ValidationRule(
    value = "!has(self.gcsKeyType) || (has(self.type) && self.type == 'GCS')",
    message = "spec.backup.destination.gcsKeyType is for type GCS only",
    reason = "FieldValueForbidden")
@ValidationRule(
    value = "!has(self.size) || !has(self.type) || self.type == 'PVC'",
    message = "spec.backup.destination.size is the size of the repository volume: type PVC only",
    reason = "FieldValueForbidden")
@ValidationRule(
    value =
        "(has(oldSelf.type) && oldSelf.type != 'PVC') || (has(self.type) && self.type != 'PVC')"
            + " || !has(self.size) || !has(oldSelf.size)"
            + " || !isQuantity(self.size) || !isQuantity(oldSelf.size)"
            + " || quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0",
    message =
        "spec.backup.destination.size cannot shrink: the repository volume exists, and volumes"
            + " only grow",
    reason = "FieldValueForbidden",
    fieldPath = ".size")
public class BackupDestination {

  @JsonPropertyDescription("Repository type: PVC (default), S3, GCS or Azure.")
  private DestinationType type;

  @JsonPropertyDescription(
      "Bucket (S3, GCS) or container (Azure), named by the store's rules: S3 3 to 63 lowercase"
          + " letters, digits, '.' and '-'; GCS also '_', up to 222 in parts of 63 split by '.';"
          + " Azure 3 to 63 lowercase letters, digits and single '-'.")
  @Size(max = 222)
  private String bucket;

  @JsonPropertyDescription(
      "Region of an S3 bucket, e.g. eu-west-1: lowercase letters, digits and '-' (S3-compatible"
          + " servers such as MinIO accept any, e.g. us-east-1).")
  @ValidationRule(
      value = "self.matches('^[a-z0-9-]+$')",
      message =
          "spec.backup.destination.region must be lowercase letters, digits and '-', such as"
              + " eu-west-1",
      reason = "FieldValueInvalid")
  @Size(max = 63)
  private String region;

  @JsonPropertyDescription(
      "Endpoint of an S3-compatible server, of a GCS server or of an Azure Blob endpoint or"
          + " emulator, e.g. https://minio.example:9000; S3 and Azure endpoints are used path-style"
          + " (bucket or account in the path). Absent: the provider's own endpoint (AWS S3 with"
          + " the bucket in the host name, storage.googleapis.com,"
          + " ACCOUNT.blob.core.windows.net).")
  @ValidationRule(
      value = "!self.startsWith('http://')",
      message =
          "spec.backup.destination.endpoint must use https: pgBackRest 2.55 reaches object stores"
              + " over TLS only",
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = "self.matches('^(https://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$')",
      message =
          "spec.backup.destination.endpoint must be a host name with an optional port, e.g."
              + " https://minio.example:9000",
      reason = "FieldValueInvalid")
  private String endpoint;

  @JsonPropertyDescription(
      "Path of the repository inside the bucket or volume. Default /pgbackrest/NAMESPACE/CLUSTER."
          + " Every cluster needs a path of its own: a restored cluster archives to its own.")
  @ValidationRule(
      value = "self.startsWith('/') && !self.contains('..')",
      message = "spec.backup.destination.path must be absolute (start with /) without '..'",
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = "!self.matches('[[:cntrl:]]')",
      message =
          "spec.backup.destination.path must not hold control characters (newline, tab, ...):"
              + " it is a line of pgbackrest.conf",
      reason = "FieldValueInvalid")
  @Size(max = 1024)
  private String path;

  @JsonPropertyDescription(
      "Secret with the object store credentials, never logged or copied: S3 AWS_ACCESS_KEY_ID and"
          + " AWS_SECRET_ACCESS_KEY; GCS key.json (a service account key) or, with gcsKeyType"
          + " token, token (an OAuth 2 access token); Azure AZURE_STORAGE_ACCOUNT and"
          + " AZURE_STORAGE_KEY (the account's shared key).")
  private String credentialsSecret;

  @JsonPropertyDescription(
      "Type GCS: how pgBackRest authenticates. service (default): the service account key"
          + " key.json of credentialsSecret. token: the OAuth 2 access token in key token of"
          + " credentialsSecret, used as it is (it is not refreshed).")
  private GcsKeyType gcsKeyType;

  @JsonPropertyDescription(
      "Secret with key ca.crt: the certificate authority of the endpoint's TLS certificate, for"
          + " servers with a private CA (mounted at /etc/pgbackrest/ca/ca.crt). Without it the"
          + " system's CAs are trusted.")
  private String caSecret;

  @JsonPropertyDescription(
      "Size of the repository volume when type is PVC, a Kubernetes quantity. Default: the"
          + " cluster's storage.size. The volume is ReadWriteMany: every member archives to it."
          + " Can grow once the volume exists (volume expansion, if its StorageClass allows it),"
          + " never shrink.")
  @ValidationRule(
      value = "isQuantity(self) && quantity(self).isGreaterThan(quantity('0'))",
      message =
          "spec.backup.destination.size must be a Kubernetes quantity greater than zero, such as"
              + " 50Gi",
      reason = "FieldValueInvalid")
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

  public GcsKeyType getGcsKeyType() {
    return gcsKeyType;
  }

  public void setGcsKeyType(GcsKeyType gcsKeyType) {
    this.gcsKeyType = gcsKeyType;
  }

  public String getCaSecret() {
    return caSecret;
  }

  public void setCaSecret(String caSecret) {
    this.caSecret = caSecret;
  }

  public String getSize() {
    return size;
  }

  public void setSize(String size) {
    this.size = size;
  }
}
