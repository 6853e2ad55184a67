package io.pgtrickle.operator.streams.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.status.PodBlocker;
import io.pgtrickle.operator.streams.db.CatalogObservation;
import io.pgtrickle.operator.streams.db.ReplicationCapacity;
import io.pgtrickle.operator.streams.status.ObservedPipeline.Autoscaling;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineStatusCalculatorTest {

  private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");
  private static final Autoscaling ACTIVE = new Autoscaling(true, "ValidMetricFound", "ok");
  private static final CatalogObservation CATALOG =
      new CatalogObservation(true, 4, 1_250L, "public.sales", List.of("pgtrickle_orders_0"), 2048L);

  @Test
  void everythingReadyIsRunningWithTheFigures() {
    StreamTableClusterStatus s = calc(null, observed(true, 1, 1, 2, 2, null));
    assertThat(s.getPhase()).isEqualTo(StreamTableClusterPhase.Running);
    assertThat(s.getWorkers()).isEqualTo("2/2");
    assertThat(s.getStreamTables()).isEqualTo(4);
    assertThat(s.getCdcLag()).isEqualTo("2.0 KiB");
    assertThat(s.getWorstFreshnessLagMs()).isEqualTo(1250L);
    assertThat(status(s, "Ready")).isEqualTo("True");
    assertThat(status(s, "Degraded")).isEqualTo("False");
    assertThat(status(s, "ChangeLogReady")).isEqualTo("True");
    assertThat(status(s, "AutoscalingActive")).isEqualTo("True");
  }

  @Test
  void noChangeLogAndNoConsumersYetIsPending() {
    StreamTableClusterStatus s = calc(null, observed(false, 0, 0, 0, 0, null));
    assertThat(s.getPhase()).isEqualTo(StreamTableClusterPhase.Pending);
    assertThat(s.getPhaseReason()).isEqualTo("ChangeLogNotReady");
    assertThat(status(s, "Progressing")).isEqualTo("True");
  }

  @Test
  void aRefusedChangeLogSettingFailsANewPipelineAndDegradesARunningOne() {
    // A new pipeline cannot start until the user changes the setting: Failed, not Pending.
    StreamTableClusterStatus fresh =
        calc(
            null,
            observed(false, 0, 0, 0, 0, null)
                .withChangeLogReason(ObservedPipeline.CHANGE_LOG_SETTING_REFUSED));
    assertThat(fresh.getPhase()).isEqualTo(StreamTableClusterPhase.Failed);
    assertThat(fresh.getPhaseReason()).isEqualTo("ChangeLogSettingRefused");
    assertThat(fresh.getMessage())
        .startsWith("the change log cannot be made as spec.nats or spec.kafka asks")
        .endsWith("unreachable");
    assertThat(condition(fresh, "ChangeLogReady").getReason()).isEqualTo("SettingRefused");

    // A running one keeps running on the change log it has: Degraded, named by the setting.
    StreamTableClusterStatus running = calc(null, observed(true, 1, 1, 1, 1, null));
    StreamTableClusterStatus refused =
        calc(
            running,
            observed(false, 1, 1, 1, 1, null)
                .withBlockers(List.of(PULL), List.of())
                .withChangeLogReason(ObservedPipeline.CHANGE_LOG_SETTING_REFUSED));
    assertThat(refused.getPhase()).isEqualTo(StreamTableClusterPhase.Degraded);
    assertThat(refused.getPhaseReason()).isEqualTo("ChangeLogSettingRefused");
    assertThat(condition(refused, "ChangeLogReady").getReason()).isEqualTo("SettingRefused");
    assertThat(condition(refused, "Degraded").getReason()).isEqualTo("ChangeLogSettingRefused");

    // Anything else is the change log being unavailable for now, with the backend's reason.
    StreamTableClusterStatus unreachable =
        calc(running, observed(false, 1, 1, 1, 1, null).withChangeLogReason("Unreachable"));
    assertThat(unreachable.getPhaseReason()).isEqualTo("ChangeLogUnavailable");
    assertThat(condition(unreachable, "ChangeLogReady").getReason()).isEqualTo("Unreachable");
    StreamTableClusterStatus waiting =
        calc(null, observed(false, 0, 0, 0, 0, null).withChangeLogReason("Unreachable"));
    assertThat(waiting.getPhase()).isEqualTo(StreamTableClusterPhase.Pending);
  }

  @Test
  void aChangeLogShortOfCopiesStaysReadyAndRunningWithTheReason() {
    StreamTableClusterStatus running = calc(null, observed(true, 1, 1, 1, 1, null));
    StreamTableClusterStatus short_ =
        calc(
            running,
            observed(true, 1, 1, 1, 1, null)
                .withChangeLogReason(ObservedPipeline.CHANGE_LOG_UNDER_REPLICATED));
    assertThat(short_.getPhase()).isEqualTo(StreamTableClusterPhase.Running);
    assertThat(status(short_, "ChangeLogReady")).isEqualTo("True");
    assertThat(condition(short_, "ChangeLogReady").getReason()).isEqualTo("UnderReplicated");
    assertThat(condition(running, "ChangeLogReady").getReason()).isEqualTo("Available");
  }

  @Test
  void aConsumerLostAfterRunningIsDegradedAndRecovers() {
    StreamTableClusterStatus running = calc(null, observed(true, 1, 1, 1, 1, null));
    StreamTableClusterStatus degraded = calc(running, observed(true, 1, 0, 1, 1, null));
    assertThat(degraded.getPhase()).isEqualTo(StreamTableClusterPhase.Degraded);
    assertThat(degraded.getPhaseReason()).isEqualTo("CdcNotReady");
    assertThat(status(degraded, "Degraded")).isEqualTo("True");
    StreamTableClusterStatus back = calc(degraded, observed(true, 1, 1, 1, 1, null));
    assertThat(back.getPhase()).isEqualTo(StreamTableClusterPhase.Running);
  }

  @Test
  void aMissingSecretIsFailedNamingIt() {
    ObservedPipeline o =
        new ObservedPipeline(
            "SecretNotFound",
            "Secret pg does not exist",
            true,
            false,
            "waiting",
            1,
            0,
            false,
            1,
            0,
            false,
            ACTIVE,
            null,
            null,
            null,
            null,
            1);
    StreamTableClusterStatus s = calc(null, o);
    assertThat(s.getPhase()).isEqualTo(StreamTableClusterPhase.Failed);
    assertThat(s.getMessage()).isEqualTo("Secret pg does not exist");
  }

  @Test
  void aStableStatusIsEqualSoNothingIsPatched() {
    StreamTableClusterStatus first = calc(null, observed(true, 1, 1, 1, 1, null));
    StreamTableClusterStatus second = calc(first, observed(true, 1, 1, 1, 1, null));
    assertThat(second).isEqualTo(first);
  }

  @Test
  void theHpasVerdictIsReportedAsItIs() {
    ObservedPipeline o =
        new ObservedPipeline(
            null,
            null,
            false,
            true,
            "log",
            1,
            1,
            true,
            1,
            1,
            true,
            new Autoscaling(false, "FailedGetObjectMetric", "HPA x: no custom metrics API"),
            null,
            CATALOG,
            null,
            null,
            1);
    Condition c = condition(calc(null, o), "AutoscalingActive");
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("FailedGetObjectMetric");
  }

  private static final PodBlocker PULL =
      new PodBlocker(
          "o-cdc-0",
          "ImagePullBackOff",
          "container cdc-consumer: Back-off pulling image \"registry.invalid/cdc:1\"");

  /** Before, the status said only "CDC consumers ready 0/1". */
  @Test
  void aBlockedCdcPodIsTheReasonAndIsNamedWithItsContainer() {
    StreamTableClusterStatus s =
        calc(null, observed(true, 1, 0, 1, 1, null).withBlockers(List.of(PULL), List.of()));
    assertThat(s.getPhase()).isEqualTo(StreamTableClusterPhase.Creating);
    assertThat(s.getPhaseReason()).isEqualTo("ImagePullBackOff");
    assertThat(condition(s, "Ready").getReason()).isEqualTo("ImagePullBackOff");
    assertThat(condition(s, "Ready").getMessage())
        .isEqualTo(
            "CDC consumers ready 0/1, workers ready 1/1. cdc pod o-cdc-0: ImagePullBackOff:"
                + " container cdc-consumer: Back-off pulling image \"registry.invalid/cdc:1\"");
  }

  /**
   * A rollout to a worker image that cannot be pulled keeps the old workers (maxUnavailable 0), so
   * the counts are all ready: the blocked new pod still makes the pipeline Degraded.
   */
  @Test
  void aBlockedPodBesideReadyOnesMakesARunningPipelineDegraded() {
    StreamTableClusterStatus running = calc(null, observed(true, 1, 1, 1, 1, null));
    PodBlocker worker = new PodBlocker("o-worker-b", "ErrImagePull", "container worker: 404");
    StreamTableClusterStatus s =
        calc(running, observed(true, 1, 1, 1, 1, null).withBlockers(List.of(), List.of(worker)));
    assertThat(s.getPhase()).isEqualTo(StreamTableClusterPhase.Degraded);
    assertThat(s.getPhaseReason()).isEqualTo("ErrImagePull");
    assertThat(s.getMessage())
        .endsWith(". worker pod o-worker-b: ErrImagePull: container worker: 404");
    assertThat(status(s, "Degraded")).isEqualTo("True");
  }

  @Test
  void theCdcPodsComeFirstAndAtMostThreeAreShown() {
    List<PodBlocker> workers =
        List.of(
            new PodBlocker("o-worker-a", "Unschedulable", "0/3 nodes are available"),
            new PodBlocker("o-worker-b", "Unschedulable", "0/3 nodes are available"),
            new PodBlocker("o-worker-c", "Unschedulable", "0/3 nodes are available"));
    StreamTableClusterStatus s =
        calc(null, observed(true, 1, 0, 3, 0, null).withBlockers(List.of(PULL), workers));
    assertThat(s.getPhaseReason()).isEqualTo("ImagePullBackOff");
    assertThat(s.getMessage())
        .contains("cdc pod o-cdc-0: ImagePullBackOff")
        .contains("worker pod o-worker-b: Unschedulable: 0/3 nodes are available; and 1 more")
        .doesNotContain("o-worker-c");
  }

  @Test
  void anUnavailableChangeLogStaysTheReasonAndProblemsComeFirst() {
    StreamTableClusterStatus s =
        calc(null, observed(false, 1, 0, 1, 0, null).withBlockers(List.of(PULL), List.of()));
    assertThat(s.getPhaseReason()).isEqualTo("ChangeLogUnavailable");
    assertThat(s.getMessage()).contains("cdc pod o-cdc-0: ImagePullBackOff");

    ObservedPipeline problem =
        new ObservedPipeline(
                "ReplicationSlotsExhausted",
                "max_replication_slots is 2",
                true,
                true,
                "log",
                1,
                0,
                true,
                1,
                1,
                true,
                ACTIVE,
                null,
                CATALOG,
                null,
                null,
                1)
            .withBlockers(List.of(PULL), List.of());
    StreamTableClusterStatus failed = calc(null, problem);
    assertThat(failed.getPhase()).isEqualTo(StreamTableClusterPhase.Failed);
    assertThat(failed.getPhaseReason()).isEqualTo("ReplicationSlotsExhausted");
    assertThat(failed.getMessage()).isEqualTo("max_replication_slots is 2");
  }

  private static final ReplicationCapacity.Shortfall TWO_OF_THREE =
      new ReplicationCapacity.Shortfall(
          "ReplicationSlotsExhausted",
          "spec.cdc.replicas asks for 3 CDC consumer(s) ...; 2 of 3 consumers can run, the others"
              + " wait for one. Raise max_replication_slots ...",
          2);

  /**
   * spec.cdc.replicas raised from 2 to 3 on a server with no slot left: the two consumers keep
   * running, so the pipeline is Degraded naming the shortfall, not Failed.
   */
  @Test
  void aScaleUpShortOfSlotsRunsShortDegradedNamingTheShortfall() {
    StreamTableClusterStatus running = calc(null, observed(true, 2, 2, 1, 1, null));
    StreamTableClusterStatus s =
        calc(running, observed(true, 3, 2, 1, 1, null).withCapacity(TWO_OF_THREE));
    assertThat(s.getPhase()).isEqualTo(StreamTableClusterPhase.Degraded);
    assertThat(s.getPhaseReason()).isEqualTo("ReplicationSlotsExhausted");
    assertThat(condition(s, "Degraded").getReason()).isEqualTo("ReplicationSlotsExhausted");
    assertThat(condition(s, "Degraded").getMessage())
        .startsWith("spec.cdc.replicas asks for 3 CDC consumer(s)")
        .contains("2 of 3 consumers can run")
        .endsWith("CDC consumers ready 2/3, workers ready 1/1");
    assertThat(status(s, "Ready")).isEqualTo("False");
    // A new pipeline created short: Degraded once the consumers that can run are ready.
    assertThat(calc(null, observed(true, 3, 1, 1, 1, null).withCapacity(TWO_OF_THREE)).getPhase())
        .isEqualTo(StreamTableClusterPhase.Creating);
    StreamTableClusterStatus created =
        calc(null, observed(true, 3, 2, 1, 1, null).withCapacity(TWO_OF_THREE));
    assertThat(created.getPhase()).isEqualTo(StreamTableClusterPhase.Degraded);
    assertThat(created.getPhaseReason()).isEqualTo("ReplicationSlotsExhausted");
  }

  @Test
  void bytesArePrintedAsPeopleReadThem() {
    assertThat(PipelineStatusCalculator.bytes(0)).isEqualTo("0 B");
    assertThat(PipelineStatusCalculator.bytes(1536)).isEqualTo("1.5 KiB");
    assertThat(PipelineStatusCalculator.bytes(50L * 1024 * 1024)).isEqualTo("50 MiB");
  }

  @Test
  void streamTablesInErrorAreNamedWithTheirErrorsWhileThePipelineRuns() {
    StreamTableClusterStatus healthy = calc(null, observed(true, 1, 1, 1, 1, null));
    assertThat(status(healthy, "StreamTablesHealthy")).isEqualTo("True");
    assertThat(condition(healthy, "StreamTablesHealthy").getReason()).isEqualTo("NoneInError");
    assertThat(healthy.getStreamTablesInError()).isZero();

    CatalogObservation failing =
        new CatalogObservation(
            true,
            9,
            1_250L,
            "public.sales",
            List.of("pgtrickle_orders_0"),
            2048L,
            5,
            List.of(
                "public.a: temporary file size exceeds temp_file_limit (1024kB)",
                "public.b: column \"x\" does not exist",
                "shop.c: permission denied for table orders"),
            3L << 20);
    StreamTableClusterStatus s = calc(healthy, withCatalog(failing));
    assertThat(s.getPhase())
        .as("the pipeline itself runs")
        .isEqualTo(StreamTableClusterPhase.Running);
    assertThat(s.getStreamTablesInError()).isEqualTo(5);
    assertThat(s.getIngestLag()).isEqualTo("3.0 MiB");
    assertThat(s.getIngestLagBytes()).isEqualTo(3L << 20);
    assertThat(healthy.getIngestLag()).as("nothing ingested yet").isNull();
    Condition c = condition(s, "StreamTablesHealthy");
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("StreamTablesInError");
    assertThat(c.getMessage())
        .startsWith("5 of 9 stream table(s) in ERROR")
        .contains("pgtrickle.resume_stream_table(name)")
        .contains("public.a: temporary file size exceeds temp_file_limit (1024kB)")
        .contains("shop.c: permission denied")
        .endsWith("; and 2 more");

    // The database does not answer: the last word stands.
    StreamTableClusterStatus unknown = calc(s, withCatalog(null));
    assertThat(status(unknown, "StreamTablesHealthy")).isEqualTo("False");
    assertThat(unknown.getStreamTablesInError()).isEqualTo(5);

    StreamTableClusterStatus fixed = calc(unknown, observed(true, 1, 1, 1, 1, null));
    assertThat(status(fixed, "StreamTablesHealthy")).isEqualTo("True");
    assertThat(fixed.getStreamTablesInError()).isZero();
  }

  private static ObservedPipeline withCatalog(CatalogObservation catalog) {
    return new ObservedPipeline(
        null,
        null,
        false,
        true,
        "schema x",
        1,
        1,
        true,
        1,
        1,
        true,
        ACTIVE,
        null,
        catalog,
        null,
        null,
        1);
  }

  private static ObservedPipeline observed(
      boolean log, int cdcWanted, int cdcReady, int workersWanted, int workersReady, String dec) {
    return new ObservedPipeline(
        null,
        null,
        false,
        log,
        log ? "schema x" : "unreachable",
        cdcWanted,
        cdcReady,
        cdcWanted > 0,
        workersWanted,
        workersReady,
        workersWanted > 0,
        ACTIVE,
        null,
        CATALOG,
        dec,
        null,
        1);
  }

  private static StreamTableClusterStatus calc(
      StreamTableClusterStatus previous, ObservedPipeline o) {
    StreamTableCluster stc = new StreamTableCluster();
    stc.setMetadata(new ObjectMetaBuilder().withName("x").withGeneration(1L).build());
    stc.setStatus(previous);
    return PipelineStatusCalculator.calculate(stc, o, NOW);
  }

  private static String status(StreamTableClusterStatus s, String type) {
    return condition(s, type).getStatus();
  }

  private static Condition condition(StreamTableClusterStatus s, String type) {
    return s.getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElseThrow();
  }
}
