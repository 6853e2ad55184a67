package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Job {@code NAME-cdc-drop-ORDINAL} that runs {@code cdc-consumer decommission} for a CDC
 * consumer that no longer runs (scaled down, or the resource deleted): it drops that consumer's
 * replication slot, so the slot pins no WAL, undoes its publication and releases its catalog rows
 * to the remaining consumers (cdc-consumer/README.md). Same image, environment and credentials as
 * the consumer, with the ordinal given explicitly (a Job pod's host name carries none).
 */
public final class DecommissionJob {

  /** The label carrying the ordinal, to find the Jobs again. */
  public static final String ORDINAL_LABEL = "trickle-labs.io/cdc-ordinal";

  /** The component label of the Jobs ({@code app.kubernetes.io/component}). */
  public static final String COMPONENT = "cdc-decommission";

  private DecommissionJob() {}

  /**
   * @param s the pipeline
   * @param ordinal the consumer whose slot is dropped
   * @param slotOrdinals how many consumers existed (it must be above {@code ordinal})
   * @return the Job
   */
  public static Job build(PipelineSettings s, int ordinal, int slotOrdinals) {
    Map<String, String> labels = new LinkedHashMap<>(s.labels(COMPONENT));
    labels.put(ORDINAL_LABEL, String.valueOf(ordinal));
    return new JobBuilder()
        .withNewMetadata()
        .withName(StreamTableClusterNames.decommissionJob(s.name(), ordinal))
        .withNamespace(s.namespace())
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(6)
        .withActiveDeadlineSeconds(600L)
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("OnFailure")
        .withServiceAccountName(StreamTableClusterNames.cdcServiceAccount(s.name()))
        .withAutomountServiceAccountToken(false)
        .withSecurityContext(PipelinePods.podSecurity())
        .withContainers(
            CdcStatefulSet.container(
                    s, CdcStatefulSet.env(s, Math.max(slotOrdinals, ordinal + 1), ordinal))
                .toBuilder()
                .withArgs("decommission")
                .withStartupProbe(null)
                .withLivenessProbe(null)
                .withReadinessProbe(null)
                .withPorts()
                .build())
        .withVolumes(PipelinePods.tmpVolume())
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }
}
