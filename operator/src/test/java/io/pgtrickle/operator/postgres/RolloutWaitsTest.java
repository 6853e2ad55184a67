package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import org.junit.jupiter.api.Test;

class RolloutWaitsTest {

  private static PostgresCluster cluster(String name) {
    PostgresCluster cluster = new PostgresCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName(name).build());
    return cluster;
  }

  @Test
  void logsAWaitWhenItsReasonChangesNotAtEveryReconcile() {
    RolloutWaits waits = new RolloutWaits();
    PostgresCluster db = cluster("db");
    assertThat(waits.observe(db, null)).as("nothing to wait for, nothing before").isFalse();
    assertThat(waits.observe(db, "waiting for every member to be ready")).isTrue();
    assertThat(waits.observe(db, "waiting for every member to be ready")).isFalse();
    assertThat(waits.observe(cluster("other"), "waiting for every member to be ready"))
        .as("per cluster")
        .isTrue();
    assertThat(waits.observe(db, "waiting for a member to be replaced")).isTrue();
    assertThat(waits.observe(db, null)).as("the wait ended").isTrue();
    assertThat(waits.observe(db, null)).isFalse();
    waits.observe(db, "waiting for every member to exist");
    waits.forget(db);
    assertThat(waits.observe(db, "waiting for every member to exist"))
        .as("a cluster deleted and created again starts afresh")
        .isTrue();
  }
}
