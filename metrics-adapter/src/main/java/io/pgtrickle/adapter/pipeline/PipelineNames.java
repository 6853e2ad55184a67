package io.pgtrickle.adapter.pipeline;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Map;

/**
 * The names and labels the operator gives a StreamTableCluster's children
 * (operator/.../streams/StreamTableClusterNames), as the adapter reads them, and the API resources
 * it serves metrics for.
 */
public final class PipelineNames {

  /** The label naming the StreamTableCluster on every child. */
  public static final String CLUSTER_LABEL = "trickle-labs.io/stream-table-cluster";

  public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  public static final String CDC_COMPONENT = "cdc-consumer";
  public static final String WORKER_COMPONENT = "worker";

  /** The name of the container port serving {@code /metrics}. */
  public static final String METRICS_PORT_NAME = "metrics";

  /** The programs' default {@code PGTRICKLE_HTTP_PORT}. */
  public static final int DEFAULT_METRICS_PORT = 8080;

  public static final String STC_GROUP = "trickle-labs.io";
  public static final String STC_VERSION = "v1alpha1";
  public static final String STC_KIND = "StreamTableCluster";

  /** {@code resource.group} of StreamTableClusters as the HPA's RESTMapper spells it. */
  public static final String STC_RESOURCE = "streamtableclusters." + STC_GROUP;

  public static final String DEPLOYMENT_RESOURCE = "deployments.apps";
  public static final String POD_RESOURCE = "pods";

  /** The API resources whose objects have metrics, in discovery order. */
  public static final java.util.List<String> OBJECT_RESOURCES =
      java.util.List.of(STC_RESOURCE, DEPLOYMENT_RESOURCE);

  public static final ResourceDefinitionContext STREAM_TABLE_CLUSTERS =
      new ResourceDefinitionContext.Builder()
          .withGroup(STC_GROUP)
          .withVersion(STC_VERSION)
          .withKind(STC_KIND)
          .withPlural("streamtableclusters")
          .withNamespaced(true)
          .build();

  private PipelineNames() {}

  /** What selects one kind of pods of a StreamTableCluster. */
  public static Map<String, String> podSelector(String cluster, String component) {
    return Map.of(CLUSTER_LABEL, cluster, COMPONENT_LABEL, component);
  }

  /**
   * Every discovery resource name ({@code <resource.group>/<metric>}).
   *
   * @return the names
   */
  public static java.util.List<String> discoveryResources() {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (PipelineMetric m : PipelineMetric.values()) {
      for (String r : OBJECT_RESOURCES) {
        out.add(r + "/" + m.metricName());
      }
      out.add(POD_RESOURCE + "/" + m.metricName());
    }
    return out;
  }
}
