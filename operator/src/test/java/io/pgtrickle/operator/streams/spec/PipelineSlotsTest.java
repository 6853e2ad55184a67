package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.postgres.spec.PipelineSlot;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineSlotsTest {

  @Test
  void oneSlotPerConsumerOnTheClusterItNamesKeptOnceItsConsumerCreatedIt() {
    StreamTableCluster stc =
        Pipelines.stc(
            "order-totals",
            "{postgresql: {clusterRef: {name: db}, database: app}, cdc: {replicas: 2}}");
    // Not created yet: Patroni must not create them first (they would predate the publication).
    assertThat(PipelineSlots.on(stc, "db"))
        .containsExactly(
            new PipelineSlot("pgtrickle_order_totals_0", "app", false),
            new PipelineSlot("pgtrickle_order_totals_1", "app", false));
    StreamTableClusterStatus status = new StreamTableClusterStatus();
    status.setCreatedSlots(List.of("pgtrickle_order_totals_1"));
    stc.setStatus(status);
    assertThat(PipelineSlots.on(stc, "db"))
        .containsExactly(
            new PipelineSlot("pgtrickle_order_totals_0", "app", false),
            new PipelineSlot("pgtrickle_order_totals_1", "app", true));
    assertThat(PipelineSlots.on(stc, "other")).isEmpty();
  }

  @Test
  void slotsOfConsumersScaledAwayStayListedUntilDropped() {
    StreamTableCluster stc = Pipelines.stc("orders", Pipelines.REF);
    StreamTableClusterStatus status = new StreamTableClusterStatus();
    status.setSlotOrdinals(3);
    status.setCreatedSlots(List.of("pgtrickle_orders_0", "pgtrickle_orders_1"));
    stc.setStatus(status);
    assertThat(PipelineSlots.on(stc, "db"))
        .containsExactly(
            new PipelineSlot("pgtrickle_orders_0", "app", true),
            new PipelineSlot("pgtrickle_orders_1", "app", false),
            new PipelineSlot("pgtrickle_orders_2", "app", false));
  }

  @Test
  void noSlotOfAPipelineBeingDeletedIsLive() {
    StreamTableCluster stc =
        Pipelines.stc("orders", "{postgresql: {clusterRef: {name: db}, database: app}}");
    StreamTableClusterStatus status = new StreamTableClusterStatus();
    status.setCreatedSlots(List.of("pgtrickle_orders_0"));
    stc.setStatus(status);
    stc.getMetadata().setDeletionTimestamp("2026-12-04T15:00:00Z");
    assertThat(PipelineSlots.on(stc, "db"))
        .containsExactly(new PipelineSlot("pgtrickle_orders_0", "app", false));
  }

  @Test
  void aPipelineOnAServerByHostHasNoneOnAnyCluster() {
    assertThat(PipelineSlots.on(Pipelines.stc("orders", Pipelines.NATS), "pg")).isEmpty();
  }
}
