package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.operator.api.streams.StreamTableCluster;

/** StreamTableClusters for unit tests, from YAML specs as a user would write them. */
final class Pipelines {

  private Pipelines() {}

  static StreamTableCluster stc(String name, String spec) {
    return Serialization.unmarshal(
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: prod\nspec: "
            + spec
            + "\n",
        StreamTableCluster.class);
  }

  static PipelineSettings settings(String spec) {
    return PipelineSettings.of(stc("orders", spec), PipelineImages.defaults());
  }

  static final String REF =
      "{postgresql: {clusterRef: {name: db}, database: app}, workers: {min: 2, max: 8}}";
  static final String NATS =
      "{postgresql: {host: pg.example.com, port: 6432, database: app, secretRef: {name: pg}},"
          + " workers: {max: 4, autoscaler: none}, cdc: {logBackend: nats, replicas: 3}, nats:"
          + " {url: 'nats://nats:4222', replicas: 3}, monitoring: {prometheus: true}}";
}
