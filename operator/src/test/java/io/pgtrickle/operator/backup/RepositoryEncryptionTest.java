package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.api.EncryptionSpec;
import org.junit.jupiter.api.Test;

/** pgBackRest 2.55.1's messages, as {@code info --output=json} gave them for a posix repository. */
class RepositoryEncryptionTest {

  /** An encrypted repository read without a cipher. */
  static final String ENCRYPTED_READ_PLAIN =
      "[FormatError] unable to load info file '/r/backup/db/backup.info' or"
          + " '/r/backup/db/backup.info.copy':\\nFormatError: key/value found outside of section at"
          + " line 1: Salted__\\u00d7\\u00c4D\\nHINT: backup.info cannot be opened and is required"
          + " to perform a backup.\\nHINT: has a stanza-create been performed?";

  /** A plain repository read with a cipher. */
  static final String PLAIN_READ_ENCRYPTED =
      "[CryptoError] unable to load info file '/r/backup/db/backup.info' or"
          + " '/r/backup/db/backup.info.copy':\\nCryptoError: cipher header invalid\\nHINT: is or"
          + " was the repo encrypted?";

  /** An encrypted repository read with another passphrase (both forms seen). */
  static final String OTHER_PASSPHRASE =
      "[FormatError] unable to load info file '/r/backup/db/backup.info' or"
          + " '/r/backup/db/backup.info.copy':\\nFormatError: key/value found outside of section at"
          + " line 1: \\u00ff\\\\z";

  static final String OTHER_PASSPHRASE_FLUSH =
      "[CryptoError] unable to load info file '/r/backup/db/backup.info' or"
          + " '/r/backup/db/backup.info.copy':\\nCryptoError: unable to flush";

  static final String UNREACHABLE =
      "[HostConnectError] unable to connect to '127.0.0.1:1': [111] Connection refused";

  private static final BackupSpec PLAIN = new BackupSpec();
  private static final BackupSpec ENCRYPTED = encrypted();

  private static BackupSpec encrypted() {
    EncryptionSpec encryption = new EncryptionSpec();
    encryption.setEnabled(true);
    encryption.setKeySecret("pass");
    BackupSpec backup = new BackupSpec();
    backup.setEncryption(encryption);
    return backup;
  }

  @Test
  void anEncryptedRepositoryWithoutEncryptionInTheSpecNamesTheField() {
    assertThat(RepositoryEncryption.mismatch(ENCRYPTED_READ_PLAIN, PLAIN, "R"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith("spec.backup.encryption is not enabled but repository R is")
                    .contains("encrypted")
                    .contains("point spec.backup.destination at a new repository"));
  }

  @Test
  void aPlainRepositoryWithEncryptionInTheSpecNamesTheField() {
    assertThat(RepositoryEncryption.mismatch(PLAIN_READ_ENCRYPTED, ENCRYPTED, "R"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith("spec.backup.encryption.enabled is true but repository R is not")
                    .contains("Remove spec.backup.encryption"));
  }

  @Test
  void anotherPassphraseNamesTheSecret() {
    for (String error : new String[] {OTHER_PASSPHRASE, OTHER_PASSPHRASE_FLUSH}) {
      assertThat(RepositoryEncryption.mismatch(error, ENCRYPTED, "R"))
          .as(error)
          .hasValueSatisfying(
              m ->
                  assertThat(m)
                      .startsWith("the passphrase in Secret pass (spec.backup.encryption.keySecret")
                      .contains("does not decrypt repository R"));
    }
  }

  @Test
  void otherErrorsAreNoMismatch() {
    assertThat(RepositoryEncryption.mismatch(UNREACHABLE, PLAIN, "R")).isEmpty();
    assertThat(RepositoryEncryption.mismatch(UNREACHABLE, ENCRYPTED, "R")).isEmpty();
    assertThat(RepositoryEncryption.mismatch(null, ENCRYPTED, "R")).isEmpty();
    // The signatures only fit the spec they contradict.
    assertThat(RepositoryEncryption.mismatch(ENCRYPTED_READ_PLAIN, ENCRYPTED, "R"))
        .hasValueSatisfying(m -> assertThat(m).startsWith("the passphrase in Secret pass"));
    assertThat(RepositoryEncryption.mismatch(PLAIN_READ_ENCRYPTED, PLAIN, "R")).isEmpty();
    assertThat(RepositoryEncryption.mismatch(OTHER_PASSPHRASE, PLAIN, "R")).isEmpty();
  }
}
