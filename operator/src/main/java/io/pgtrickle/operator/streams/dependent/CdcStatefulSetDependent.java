package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import io.pgtrickle.operator.streams.spec.CdcRolloutOrder;
import io.pgtrickle.operator.streams.spec.CdcStatefulSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDC consumers' StatefulSet, applied only once the change log is ready (or it exists); a new
 * image only once every worker runs its own ({@link CdcRolloutOrder}).
 */
@KubernetesDependent(informer = @Informer(labelSelector = StreamTableClusterNames.CLUSTER_LABEL))
public class CdcStatefulSetDependent
    extends CRUDKubernetesDependentResource<StatefulSet, StreamTableCluster> {

  private static final Logger LOG = LoggerFactory.getLogger(CdcStatefulSetDependent.class);

  @Override
  protected StatefulSet desired(StreamTableCluster stc, Context<StreamTableCluster> context) {
    var s = Settings.of(stc);
    StatefulSet sts = CdcStatefulSet.build(s, s.cdcReplicas());
    StatefulSet live = context.getSecondaryResource(StatefulSet.class).orElse(null);
    SecretVersions.stamp(
        sts.getSpec().getTemplate(), live == null ? null : live.getSpec().getTemplate(), context);
    Container cdc = container(sts);
    String liveImage = live == null ? null : container(live).getImage();
    String image =
        CdcRolloutOrder.cdcImage(
            cdc.getImage(),
            liveImage,
            context.getSecondaryResource(Deployment.class).orElse(null),
            s.workerImage());
    if (!image.equals(cdc.getImage())) {
      LOG.info(
          "CDC consumers of {}/{} keep {} until every worker runs {}",
          stc.getMetadata().getNamespace(),
          stc.getMetadata().getName(),
          image,
          s.workerImage());
      cdc.setImage(image);
    }
    return sts;
  }

  private static Container container(StatefulSet sts) {
    return sts.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> CdcStatefulSet.CONTAINER.equals(c.getName()))
        .findFirst()
        .orElseThrow();
  }
}
