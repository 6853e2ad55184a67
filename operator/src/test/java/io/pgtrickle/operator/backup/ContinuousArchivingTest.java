package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ContinuousArchivingTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final Instant T0 = Instant.parse("2026-11-30T21:00:00Z");
  private static final Instant NOW = Instant.parse("2026-11-30T21:10:00Z");

  private static PostgresCluster cluster(String backup) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: c\n"
            + "  namespace: ns\nspec:\n  version: 16\n  replicas: 3\n  storage:\n    size: 1Gi\n"
            + "  backup: "
            + backup
            + "\n";
    return YAML.unmarshal(yaml, PostgresCluster.class);
  }

  private static final PostgresCluster S3 =
      cluster(
          "{destination: {type: S3, bucket: my-backups, region: us-east-1,"
              + " credentialsSecret: aws-credentials}}");

  private static Condition condition(PostgresCluster cluster, ContinuousArchiving.Archiver a) {
    List<Condition> conditions = ContinuousArchiving.with(List.of(), cluster, a, 1, NOW);
    return Conditions.find(conditions, ContinuousArchiving.TYPE).orElseThrow();
  }

  @Test
  void aPushThatNeverSucceededIsFailingAndNamesTheRepositoryAndTheWalFile() {
    Condition c =
        condition(
            S3,
            new ContinuousArchiving.Archiver(
                0, null, null, 4, "000000010000000000000003", T0.plusSeconds(30)));
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("ArchiveFailing");
    assertThat(c.getMessage())
        .contains("s3://my-backups (us-east-1)")
        .contains("000000010000000000000003")
        .contains("4 failed attempts")
        .contains("none archived yet")
        .contains("Writes go on");
  }

  /**
   * A repository that accepts connections and never answers: archive-push hangs, no attempt fails,
   * and pg_stat_archiver alone showed the last success (RepositoryOutageIT freezes the S3 server).
   */
  @Test
  void aWalFileWaitingLongerThanTheStallLimitWithNothingArchivedIsStalled() {
    String last = "000000010000000000000005";
    Condition stalled =
        condition(
            S3,
            new ContinuousArchiving.Archiver(
                5, last, NOW.minusSeconds(300), 0, null, null, T0, 3, NOW.minusSeconds(240)));
    assertThat(stalled.getStatus()).isEqualTo("False");
    assertThat(stalled.getReason()).isEqualTo(ContinuousArchiving.STALLED);
    assertThat(stalled.getMessage())
        .contains("s3://my-backups (us-east-1)")
        .contains(last)
        .contains("3 WAL file(s) wait, the oldest since " + NOW.minusSeconds(240))
        .contains("Writes go on");

    // A backlog being pushed: old files wait, but one was archived within the limit.
    Condition busy =
        condition(
            S3,
            new ContinuousArchiving.Archiver(
                90, last, NOW.minusSeconds(2), 0, null, null, T0, 40, NOW.minusSeconds(600)));
    assertThat(busy.getReason()).isEqualTo(ContinuousArchiving.ARCHIVING);
    // A file that became ready just now: not yet.
    Condition fresh =
        condition(
            S3,
            new ContinuousArchiving.Archiver(
                5, last, NOW.minusSeconds(300), 0, null, null, T0, 1, NOW.minusSeconds(10)));
    assertThat(fresh.getReason()).isEqualTo(ContinuousArchiving.ARCHIVING);
  }

  @Test
  void aFailureAfterTheLastArchivedFileIsFailing() {
    Condition c =
        condition(
            S3,
            new ContinuousArchiving.Archiver(
                7,
                "000000010000000000000007",
                T0,
                1,
                "000000010000000000000008",
                T0.plusSeconds(5)));
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getMessage()).contains("last archived 000000010000000000000007");
  }

  @Test
  void aFileArchivedAfterTheLastFailureMeansArchivingWorksAgain() {
    Condition c =
        condition(
            S3,
            new ContinuousArchiving.Archiver(
                8,
                "000000010000000000000008",
                T0.plusSeconds(60),
                3,
                "000000010000000000000008",
                T0));
    assertThat(c.getStatus()).isEqualTo("True");
    assertThat(c.getReason()).isEqualTo("WalArchived");
    assertThat(c.getMessage()).contains("000000010000000000000008");
  }

  @Test
  void nothingDoneYetIsNotAFailure() {
    Condition c =
        condition(
            cluster("{destination: {type: PVC}}"),
            new ContinuousArchiving.Archiver(0, null, null, 0, null, null));
    assertThat(c.getStatus()).isEqualTo("True");
    assertThat(c.getReason()).isEqualTo("NoWalFileDone");
    assertThat(c.getMessage()).contains("the volume c-pgbackrest-repo");
  }

  @Test
  void gcsAndAzureRepositoriesAreNamedWithTheirOwnSchemes() {
    assertThat(
            ContinuousArchiving.repository(
                cluster("{destination: {type: GCS, bucket: b, credentialsSecret: g}}")))
        .isEqualTo("gs://b");
    assertThat(
            ContinuousArchiving.repository(
                cluster(
                    "{destination: {type: Azure, bucket: cont, endpoint: 'https://127.0.0.1:10000',"
                        + " credentialsSecret: a}}")))
        .isEqualTo("azure://cont at https://127.0.0.1:10000");
    assertThat(ContinuousArchiving.repository(S3)).isEqualTo("s3://my-backups (us-east-1)");
  }

  private static final Instant STARTED = T0.minusSeconds(600);

  /** Failing since PostgreSQL started: nothing archived after it. */
  private static final ContinuousArchiving.Archiver NEVER_SINCE_START =
      new ContinuousArchiving.Archiver(
          3,
          "000000010000000000000002",
          STARTED.minusSeconds(60),
          2,
          "000000010000000000000003",
          T0,
          STARTED);

  @Test
  void aFailureWithNothingArchivedSinceTheStartIsLookedIntoOncePerSpec() {
    assertThat(ContinuousArchiving.diagnose(List.of(), NEVER_SINCE_START, 4)).isTrue();
    List<Condition> failing =
        ContinuousArchiving.with(List.of(), S3, NEVER_SINCE_START, Optional.empty(), 4, NOW);
    // Looked into at generation 4 already: not again until the spec changes.
    assertThat(ContinuousArchiving.diagnose(failing, NEVER_SINCE_START, 4)).isFalse();
    assertThat(ContinuousArchiving.diagnose(failing, NEVER_SINCE_START, 5)).isTrue();
    // A condition True before: the archiver has just started failing.
    List<Condition> archiving =
        ContinuousArchiving.with(
            List.of(),
            S3,
            new ContinuousArchiving.Archiver(1, "000000010000000000000001", T0, 0, null, null),
            4,
            NOW);
    assertThat(ContinuousArchiving.diagnose(archiving, NEVER_SINCE_START, 4)).isTrue();
  }

  @Test
  void aFailureIsLookedIntoWhenArchivingStallsFirstAndNothingIsLookedIntoWhileItWorks() {
    ContinuousArchiving.Archiver outage =
        new ContinuousArchiving.Archiver(
            5,
            "000000010000000000000005",
            T0,
            1,
            "000000010000000000000006",
            T0.plusSeconds(30),
            STARTED);
    List<Condition> stalled =
        ContinuousArchiving.with(
            List.of(),
            S3,
            new ContinuousArchiving.Archiver(
                5, "000000010000000000000005", T0, 0, null, null, STARTED, 2, T0),
            1,
            NOW);
    assertThat(Conditions.find(stalled, ContinuousArchiving.TYPE).orElseThrow().getReason())
        .isEqualTo(ContinuousArchiving.STALLED);
    assertThat(ContinuousArchiving.diagnose(stalled, outage, 1)).isTrue();
    ContinuousArchiving.Archiver working =
        new ContinuousArchiving.Archiver(5, "000000010000000000000005", T0, 0, null, null, STARTED);
    assertThat(ContinuousArchiving.diagnose(List.of(), working, 1)).isFalse();
  }

  @Test
  void anEncryptionMismatchIsTheReasonAndItsMessageNamesTheField() {
    Condition c =
        Conditions.find(
                ContinuousArchiving.with(
                    List.of(),
                    S3,
                    NEVER_SINCE_START,
                    Optional.of(
                        new ArchiveDiagnosis.Diagnosis(
                            RepositoryEncryption.MISMATCH,
                            "spec.backup.encryption is not enabled but repository X is")),
                    1,
                    NOW),
                ContinuousArchiving.TYPE)
            .orElseThrow();
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("RepositoryEncryptionMismatch");
    assertThat(c.getMessage())
        .startsWith("archive_command (pgBackRest archive-push) fails: spec.backup.encryption");
  }

  @Test
  void anArchiveGapTurnsWorkingArchivingFalseAndKeepsWhenItWasFoundAcrossReconciles() {
    ContinuousArchiving.Archiver working =
        new ContinuousArchiving.Archiver(
            9, "000000020000000000000008", NOW.minusSeconds(5), 3, "x", NOW.minusSeconds(60));
    List<Condition> archiving = ContinuousArchiving.with(List.of(), S3, working, 1, T0);
    List<Condition> gap =
        ContinuousArchiving.withGap(
            List.of(), archiving, S3, "WAL 000000010000000000000005", "20261207-1F", 1, T0);
    Condition c = Conditions.find(gap, ContinuousArchiving.TYPE).orElseThrow();
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo(ContinuousArchiving.GAP);
    assertThat(c.getMessage())
        .contains("s3://my-backups (us-east-1)")
        .contains("20261207-1F")
        .contains("WAL 000000010000000000000005")
        .contains("trigger=now");
    // The next reconcile sets it True from the archiver, then False again from the same finding:
    // it has been False since T0.
    List<Condition> again =
        ContinuousArchiving.withGap(
            gap,
            ContinuousArchiving.with(gap, S3, working, 1, NOW),
            S3,
            "WAL 000000010000000000000005",
            "20261207-1F",
            1,
            NOW);
    assertThat(
            Conditions.find(again, ContinuousArchiving.TYPE).orElseThrow().getLastTransitionTime())
        .isEqualTo(c.getLastTransitionTime());
    // A failing archiver says so, not the gap.
    ContinuousArchiving.Archiver failing =
        new ContinuousArchiving.Archiver(
            9, "000000020000000000000008", NOW.minusSeconds(60), 4, "y", NOW.minusSeconds(5));
    List<Condition> failed = ContinuousArchiving.with(List.of(), S3, failing, 1, NOW);
    assertThat(
            Conditions.find(
                    ContinuousArchiving.withGap(List.of(), failed, S3, "WAL x", "l", 1, NOW),
                    ContinuousArchiving.TYPE)
                .orElseThrow()
                .getReason())
        .isEqualTo(ContinuousArchiving.FAILING);
  }
}
