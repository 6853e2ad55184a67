package io.pgtrickle.operator.postgres.failover;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

/** Pods carrying Patroni member data in their {@code status} annotation, for the failover tests. */
final class MemberPods {

  private MemberPods() {}

  /** A pod with Patroni's member data {@code status}, ready or not, being deleted or not. */
  static Pod pod(String name, String uid, String status, boolean deleting, boolean ready) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withUid(uid)
        .withDeletionTimestamp(deleting ? "2026-12-03T00:00:00Z" : null)
        .addToAnnotations(DivergedReplica.STATUS_ANNOTATION, status)
        .endMetadata()
        .withNewStatus()
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .endStatus()
        .build();
  }
}
