package io.pgtrickle.operator.backup;

import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import java.util.Optional;

/**
 * Tells from pgBackRest's error reading a repository's info files whether the repository was made
 * with other encryption than {@code spec.backup.encryption} now gives: a repository is encrypted or
 * not, and with one passphrase, from its stanza's creation on. The API server refuses switching
 * {@code encryption.enabled} in place, but not {@code spec.backup} removed and added back, nor
 * another passphrase in the Secret; archiving and backups then fail on the repository. Pure.
 *
 * <p>pgBackRest 2.55.1's errors (measured with a posix repository, {@code info --output=json},
 * {@code archive-push} and {@code stanza-create} alike):
 *
 * <ul>
 *   <li>an encrypted repository read without a cipher: {@code FormatError: key/value found outside
 *       of section at line 1: Salted__...} (the encrypted file's header);
 *   <li>a plain repository read with a cipher: {@code CryptoError: cipher header invalid};
 *   <li>an encrypted repository read with another passphrase: {@code FormatError: key/value found
 *       outside of section} (garbage decrypted) or, about one time in eight, {@code CryptoError:
 *       unable to flush}.
 * </ul>
 */
final class RepositoryEncryption {

  /** The reason of a condition that reports a mismatch. */
  static final String MISMATCH = "RepositoryEncryptionMismatch";

  private RepositoryEncryption() {}

  /**
   * What does not match, naming the field and what to do; empty when {@code error} (pgBackRest's
   * message) is not one of an encryption mismatch.
   *
   * @param repository the repository as messages name it
   */
  static Optional<String> mismatch(String error, BackupSpec backup, String repository) {
    if (error == null) {
      return Optional.empty();
    }
    boolean encrypted = PgBackRest.encrypted(backup);
    String newRepository =
        "or point spec.backup.destination at a new repository (another path, bucket, endpoint or"
            + " type; the next backup creates it)";
    if (!encrypted && error.contains("Salted__")) {
      return Optional.of(
          "spec.backup.encryption is not enabled but repository "
              + repository
              + " is encrypted (pgBackRest reads ciphertext: \"Salted__\"): its files are"
              + " encrypted from stanza creation on. Set spec.backup.encryption {enabled: true,"
              + " keySecret: a Secret with the repository's passphrase}, "
              + newRepository);
    }
    if (encrypted && error.contains("cipher header invalid")) {
      return Optional.of(
          "spec.backup.encryption.enabled is true but repository "
              + repository
              + " is not encrypted (pgBackRest: cipher header invalid): its files are plain from"
              + " stanza creation on. Remove spec.backup.encryption, "
              + newRepository);
    }
    if (encrypted
        && (error.contains("key/value found outside of section")
            || error.contains("unable to flush"))) {
      return Optional.of(
          "the passphrase in Secret "
              + backup.getEncryption().getKeySecret()
              + " (spec.backup.encryption.keySecret, key passphrase) does not decrypt repository "
              + repository
              + ": it is encrypted with another passphrase from stanza creation on. Put that"
              + " passphrase in the Secret (members read it when they restart), "
              + newRepository);
    }
    return Optional.empty();
  }
}
