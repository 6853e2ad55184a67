package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.postgres.spec.IgnoredSlot;
import org.junit.jupiter.api.Test;

class PipelineSlotsTest {

  @Test
  void oneSlotPerConsumerOnTheClusterItNames() {
    StreamTableCluster stc =
        Pipelines.stc(
            "order-totals",
            "{postgresql: {clusterRef: {name: db}, database: app}, cdc: {replicas: 2}}");
    assertThat(PipelineSlots.on(stc, "db"))
        .containsExactly(
            new IgnoredSlot("pgtrickle_order_totals_0", "app"),
            new IgnoredSlot("pgtrickle_order_totals_1", "app"));
    assertThat(PipelineSlots.on(stc, "other")).isEmpty();
  }

  @Test
  void slotsOfConsumersScaledAwayStayListedUntilDropped() {
    StreamTableCluster stc = Pipelines.stc("orders", Pipelines.REF);
    StreamTableClusterStatus status = new StreamTableClusterStatus();
    status.setSlotOrdinals(3);
    stc.setStatus(status);
    assertThat(PipelineSlots.on(stc, "db"))
        .extracting(IgnoredSlot::name)
        .containsExactly("pgtrickle_orders_0", "pgtrickle_orders_1", "pgtrickle_orders_2");
  }

  @Test
  void aPipelineOnAServerByHostHasNoneOnAnyCluster() {
    assertThat(PipelineSlots.on(Pipelines.stc("orders", Pipelines.NATS), "pg")).isEmpty();
  }
}
