package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.LinkedHashMap;
import java.util.Map;

/** A CronJob's schedule fast-forwarded in tests, as {@code kubectl create job --from=cronjob/}. */
final class ManualJob {

  private ManualJob() {}

  /**
   * Creates the Job {@code name} from {@code cron}'s template: its metadata and spec, owned by the
   * CronJob, annotated {@code cronjob.kubernetes.io/instantiate: manual} as kubectl does, with
   * {@code annotations} over the template's.
   *
   * @return the Job as created
   */
  static Job create(
      KubernetesClient client, CronJob cron, String name, Map<String, String> annotations) {
    Map<String, String> all =
        new LinkedHashMap<>(cron.getSpec().getJobTemplate().getMetadata().getAnnotations());
    all.put("cronjob.kubernetes.io/instantiate", "manual");
    all.putAll(annotations);
    Job job =
        new JobBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(cron.getMetadata().getNamespace())
            .withLabels(cron.getSpec().getJobTemplate().getMetadata().getLabels())
            .withAnnotations(all)
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion("batch/v1")
                    .withKind("CronJob")
                    .withName(cron.getMetadata().getName())
                    .withUid(cron.getMetadata().getUid())
                    .withController(true)
                    .build())
            .endMetadata()
            .withSpec(cron.getSpec().getJobTemplate().getSpec())
            .build();
    return client.resource(job).create();
  }
}
