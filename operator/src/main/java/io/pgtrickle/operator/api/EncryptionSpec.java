package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** Encryption of the backup repository at rest (pgBackRest repo cipher, aes-256-cbc). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.keySecret) || (has(self.enabled) && self.enabled)",
    message =
        "spec.backup.encryption.keySecret needs spec.backup.encryption.enabled: true (without it"
            + " the repository is not encrypted and the Secret is not used)",
    reason = "FieldValueForbidden",
    fieldPath = ".keySecret")
public class EncryptionSpec {

  @JsonPropertyDescription(
      "Encrypt the repository. Default false. Changes only with a new repository"
          + " (spec.backup.destination): a repository's files are encrypted or not from stanza"
          + " creation on.")
  private Boolean enabled;

  @JsonPropertyDescription(
      "Secret whose key \"passphrase\" holds the repository cipher passphrase. Default"
          + " NAME-pgbackrest-cipher. When the Secret does not exist the operator creates it with"
          + " 48 random bytes (base64), once; it has no owner reference, so it stays when the"
          + " cluster is deleted. Without it the backups cannot be read: keep a copy elsewhere."
          + " Another Secret later must hold the same passphrase: the repository's files are"
          + " encrypted with it from stanza creation on.")
  private String keySecret;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public String getKeySecret() {
    return keySecret;
  }

  public void setKeySecret(String keySecret) {
    this.keySecret = keySecret;
  }
}
