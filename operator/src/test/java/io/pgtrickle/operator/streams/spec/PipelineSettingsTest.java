package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.api.ReclaimPolicy;
import io.pgtrickle.operator.api.streams.CdcSpec.LogBackend;
import io.pgtrickle.operator.api.streams.WorkersSpec.Autoscaler;
import org.junit.jupiter.api.Test;

class PipelineSettingsTest {

  @Test
  void aClusterRefGivesThePrimaryServiceItsSecretAndItsMembers() {
    PipelineSettings s = Pipelines.settings(Pipelines.REF);
    assertThat(s.dbHost()).isEqualTo("db-primary");
    assertThat(s.dbPort()).isEqualTo(5432);
    assertThat(s.secretName()).isEqualTo("db-credentials");
    assertThat(s.members()).isEqualTo("db-pods.prod.svc");
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://db-primary:5432/app");
    assertThat(s.clusterRef()).isEqualTo("db");
  }

  @Test
  void aSecretRefReplacesTheClustersSecret() {
    PipelineSettings s =
        Pipelines.settings(
            "{postgresql: {clusterRef: {name: db}, database: app, secretRef: {name: cdc}},"
                + " workers: {max: 2}}");
    assertThat(s.secretName()).isEqualTo("cdc");
  }

  @Test
  void aHostIsUsedAsGivenWithNoMembers() {
    PipelineSettings s = Pipelines.settings(Pipelines.NATS);
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://pg.example.com:6432/app");
    assertThat(s.secretName()).isEqualTo("pg");
    assertThat(s.members()).isNull();
    assertThat(s.clusterRef()).isNull();
  }

  @Test
  void defaultsFillWhatTheSpecLeavesOut() {
    PipelineSettings s = Pipelines.settings(Pipelines.REF);
    assertThat(s.backend()).isEqualTo(LogBackend.POSTGRES);
    assertThat(s.cdcReplicas()).isEqualTo(1);
    assertThat(s.autoscaler()).isEqualTo(Autoscaler.HPA);
    assertThat(s.targetCdcLagMs()).isEqualTo(100);
    assertThat(s.targetCpuPercent()).isEqualTo(70);
    assertThat(s.logReclaimPolicy()).isEqualTo(ReclaimPolicy.Delete);
    assertThat(s.cdcImage()).isEqualTo(PipelineImages.DEFAULT_CDC);
    assertThat(s.workerImage()).isEqualTo(PipelineImages.DEFAULT_WORKER);
    assertThat(s.prometheus()).isFalse();
    assertThat(s.serviceMonitor()).isFalse();
  }
}
