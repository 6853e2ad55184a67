package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import org.junit.jupiter.api.Test;

class BackupFailureTest {

  /**
   * {@code pgbackrest info --output=json} (2.55.1, in ArchiveDiagnosisIT) of a repository whose
   * stanza holds another database's archive and no backup.
   */
  private static final String OTHER_STANZA =
      "[{\"archive\":[{\"database\":{\"id\":1,\"repo-key\":1},\"id\":\"15-1\","
          + "\"max\":\"000000010000000000000002\",\"min\":\"000000010000000000000001\"}],"
          + "\"backup\":[],\"cipher\":\"none\",\"db\":[{\"id\":1,\"repo-key\":1,"
          + "\"system-id\":7716635713455956012,\"version\":\"15\"}],\"name\":\"db\","
          + "\"repo\":[{\"cipher\":\"none\",\"key\":1,\"status\":{\"code\":2,"
          + "\"message\":\"no valid backups\"}}],\"status\":{\"code\":2,\"lock\":{\"backup\":"
          + "{\"held\":false}},\"message\":\"no valid backups\"}}]";

  /**
   * What {@link JobOutcome#of} said of the Job whose stanza-create pgBackRest refused (the same
   * run): all the condition told before.
   */
  private static final JobOutcome REFUSED =
      new JobOutcome(
          JobOutcome.State.FAILED,
          "BackoffLimitExceeded",
          "backup Job second-once-1 failed (BackoffLimitExceeded: Job has reached the specified"
              + " backoff limit) after 4 attempts; pod second-once-1-zb8f7 exited 28: 2026-12-07"
              + " 18:49:02.532 P00  ERROR: [028]: backup and archive info files exist but do not"
              + " match the database | HINT: is this the correct stanza? | HINT: did an error"
              + " occur during stanza-upgrade?");

  @Test
  void aStanzaOfAnotherDatabaseIsTheReasonNamingBothSystemIdentifiers() {
    BackupFailure.Failure f =
        BackupFailure.of(REFUSED, OTHER_STANZA, "7716635745508749356", "s3://b/shared");
    assertThat(f.reason()).isEqualTo(ArchiveDiagnosis.OTHER_DATABASE);
    assertThat(f.message())
        .startsWith(
            "repository s3://b/shared holds the stanza of another database (system identifier"
                + " 7716635713455956012, this cluster's is 7716635745508749356), e.g. of a"
                + " cluster deleted and created again under the same name: pgBackRest refuses to"
                + " back this cluster up. Point spec.backup.destination at a new repository"
                + " (another path, bucket, endpoint or type), or remove the old one")
        .endsWith("; " + REFUSED.message());
  }

  @Test
  void otherwiseTheJobsReasonAndMessage() {
    // This database's stanza, the repository unread, the identifier unknown: the Job's own.
    for (BackupFailure.Failure f :
        new BackupFailure.Failure[] {
          BackupFailure.of(REFUSED, OTHER_STANZA, "7716635713455956012", "s3://b"),
          BackupFailure.of(REFUSED, null, "7716635745508749356", "s3://b"),
          BackupFailure.of(REFUSED, OTHER_STANZA, null, "s3://b"),
          BackupFailure.of(REFUSED, "ERROR: not JSON", "7716635745508749356", "s3://b")
        }) {
      assertThat(f).isEqualTo(new BackupFailure.Failure("BackoffLimitExceeded", REFUSED.message()));
    }
    JobOutcome noReason = new JobOutcome(JobOutcome.State.FAILED, null, "backup Job b-1 failed");
    assertThat(BackupFailure.of(noReason, null, null, "s3://b"))
        .isEqualTo(new BackupFailure.Failure("BackupFailed", "backup Job b-1 failed"));
  }

  @Test
  void theSystemIdentifierIsPatronisInitializeAnnotation() {
    assertThat(
            BackupFailure.systemIdentifier(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("c-config")
                    .addToAnnotations("initialize", "7716635745508749356")
                    .endMetadata()
                    .build()))
        .isEqualTo("7716635745508749356");
    assertThat(
            BackupFailure.systemIdentifier(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("c-config")
                    .addToAnnotations("initialize", "")
                    .endMetadata()
                    .build()))
        .isNull();
    assertThat(
            BackupFailure.systemIdentifier(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("c-config")
                    .endMetadata()
                    .build()))
        .isNull();
    assertThat(BackupFailure.systemIdentifier(null)).isNull();
  }
}
