package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.BackupSpec;
import org.junit.jupiter.api.Test;

class ArchiveDiagnosisTest {

  private static final BackupSpec PLAIN =
      new KubernetesSerialization()
          .unmarshal(
              "destination:\n  type: S3\n  bucket: b\n  region: us-east-1\n  credentialsSecret: c\n",
              BackupSpec.class);

  /** {@code pgbackrest info --output=json} of a repository without the stanza (2.45, here). */
  private static final String NO_STANZA =
      "[{\"archive\":[],\"backup\":[],\"cipher\":\"none\",\"db\":[],\"name\":\"db\","
          + "\"repo\":[{\"cipher\":\"none\",\"key\":1,\"status\":{\"code\":1,"
          + "\"message\":\"missing stanza path\"}}],\"status\":{\"code\":1,\"lock\":"
          + "{\"backup\":{\"held\":false}},\"message\":\"missing stanza path\"}}]";

  /** The same of a stanza with two database entries (a major upgrade), the newest id 2. */
  private static final String TWO_DATABASES =
      "[{\"archive\":[],\"backup\":[],\"cipher\":\"none\",\"db\":["
          + "{\"id\":1,\"repo-key\":1,\"system-id\":7716588462170853115,\"version\":\"14\"},"
          + "{\"id\":2,\"repo-key\":1,\"system-id\":7716588462170853116,\"version\":\"15\"}],"
          + "\"name\":\"db\",\"repo\":[{\"cipher\":\"none\",\"key\":1,\"status\":"
          + "{\"code\":2,\"message\":\"no valid backups\"}}],\"status\":{\"code\":2,"
          + "\"message\":\"no valid backups\"}}]";

  @Test
  void aMissingStanzaIsNamed() {
    ArchiveDiagnosis.Diagnosis d =
        ArchiveDiagnosis.fromInfo(NO_STANZA, "db", "1", "s3://b").orElseThrow();
    assertThat(d.reason()).isEqualTo(ArchiveDiagnosis.STANZA_MISSING);
    assertThat(d.cause())
        .isEqualTo("repository s3://b has no stanza yet (pgBackRest: missing stanza path)");
  }

  @Test
  void aStanzaOfAnotherDatabaseNamesBothSystemIdentifiers() {
    assertThat(ArchiveDiagnosis.fromInfo(TWO_DATABASES, "db", "7716588462170853116", "s3://b"))
        .isEmpty();
    ArchiveDiagnosis.Diagnosis d =
        ArchiveDiagnosis.fromInfo(TWO_DATABASES, "db", "7716588462170853115", "s3://b")
            .orElseThrow();
    assertThat(d.reason()).isEqualTo(ArchiveDiagnosis.OTHER_DATABASE);
    assertThat(d.cause())
        .contains("system identifier 7716588462170853116, this cluster's is 7716588462170853115")
        .endsWith(
            "pgBackRest refuses this cluster's WAL. Point spec.backup.destination at a new"
                + " repository (another path, bucket, endpoint or type), or remove the old one"
                + " (its backups are the other database's)");
    assertThat(ArchiveDiagnosis.otherSystemIdentifier(TWO_DATABASES, "db", "7716588462170853115"))
        .contains("7716588462170853116");
    // Unknown identifier, another stanza, text that is not JSON: nothing to tell.
    assertThat(ArchiveDiagnosis.fromInfo(TWO_DATABASES, "db", null, "s3://b")).isEmpty();
    assertThat(ArchiveDiagnosis.fromInfo(NO_STANZA, "other", "1", "s3://b")).isEmpty();
    assertThat(ArchiveDiagnosis.fromInfo("ERROR: no", "db", "1", "s3://b")).isEmpty();
  }

  @Test
  void anUnreadableRepositoryIsAMissingBucketAnOutageOrAnEncryptionMismatch() {
    String missingBucket =
        "HTTP request failed with 404 (Not Found):\n*** Path/Query ***:\nGET /b\n"
            + "*** Response Content ***:\n<Error><Code>NoSuchBucket</Code>"
            + "<Message>The specified bucket does not exist</Message></Error>";
    ArchiveDiagnosis.Diagnosis bucket =
        ArchiveDiagnosis.fromError(missingBucket, false, PLAIN, "c", "s3://b");
    assertThat(bucket.reason()).isEqualTo(BackupOutcomes.BUCKET_MISSING);
    assertThat(bucket.cause()).contains("NoSuchBucket").doesNotContain("*** Path");
    ArchiveDiagnosis.Diagnosis outage =
        ArchiveDiagnosis.fromError(
            "[HostConnectError] unable to connect to 'localhost:9': refused",
            false,
            PLAIN,
            "c",
            "s3://b");
    assertThat(outage.reason()).isEqualTo(BackupOutcomes.REPOSITORY_UNREACHABLE);
    assertThat(outage.cause()).contains("unable to connect");
    // Ciphertext read as an info file: the encryption, but only if nothing was archived since
    // PostgreSQL started (a push that worked had the same settings).
    String ciphertext = "FormatError: key/value found outside of section at line 1: Salted__x";
    assertThat(ArchiveDiagnosis.fromError(ciphertext, true, PLAIN, "c", "s3://b").reason())
        .isEqualTo(RepositoryEncryption.MISMATCH);
    assertThat(ArchiveDiagnosis.fromError(ciphertext, false, PLAIN, "c", "s3://b").reason())
        .isEqualTo(BackupOutcomes.REPOSITORY_UNREACHABLE);
  }
}
