package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.spec.DecommissionJob;
import io.pgtrickle.operator.streams.spec.PipelineSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Drops the replication slots of CDC consumers that no longer run (scale-down, deletion), so that
 * no slot pins WAL: once the consumer's pod is gone, a Job runs {@code cdc-consumer decommission}
 * for its ordinal. Idempotent: a round that finds a Job already done moves on, and dropping a slot
 * that is gone is a no-op for the program.
 *
 * <p>The Jobs are the record that the slots were dropped until the status says so: they are deleted
 * only by a round with nothing left to decommission, that is once the status read back already
 * forgets their ordinals. Deleting them in the round that saw them succeed let the next round,
 * still reading the cached status from before, create them again (and the status briefly say done
 * while a new Job ran).
 */
final class Decommissioning {

  /**
   * Where the decommission stands.
   *
   * @param done every slot in the range dropped (or nothing to do)
   * @param progress what is being waited for, or null
   * @param failure a Job that failed for good, with what to do by hand, or null
   */
  record Outcome(boolean done, String progress, String failure) {}

  private Decommissioning() {}

  /**
   * @param from the first ordinal to decommission (the consumers below it keep running)
   * @param to one past the last ordinal whose slot may exist
   */
  static Outcome step(
      KubernetesClient client, StreamTableCluster stc, PipelineSettings s, int from, int to) {
    String ns = s.namespace();
    if (from >= to) {
      deleteJobs(client, s);
      return new Outcome(true, null, null);
    }
    List<String> running = new ArrayList<>();
    for (Pod pod :
        client
            .pods()
            .inNamespace(ns)
            .withLabels(
                StreamTableClusterNames.podSelector(
                    s.name(), StreamTableClusterNames.CDC_COMPONENT))
            .list()
            .getItems()) {
      int ordinal = ordinal(pod.getMetadata().getName());
      if (ordinal >= from) {
        running.add(pod.getMetadata().getName());
      }
    }
    if (!running.isEmpty()) {
      return new Outcome(false, "waiting for CDC pods " + running + " to stop", null);
    }
    List<String> pending = new ArrayList<>();
    Set<String> permanent =
        s.clusterRef() == null ? Set.of() : PatroniPermanentSlots.of(client, ns, s.clusterRef());
    List<String> stillPermanent = new ArrayList<>();
    for (int i = from; i < to; i++) {
      String name = StreamTableClusterNames.decommissionJob(s.name(), i);
      Job job = client.batch().v1().jobs().inNamespace(ns).withName(name).get();
      if (job == null && permanent.contains(StreamTableClusterNames.slot(s.name(), i))) {
        // Patroni would create it again: the PostgresCluster reconciler takes it out first.
        stillPermanent.add(StreamTableClusterNames.slot(s.name(), i));
        pending.add(StreamTableClusterNames.slot(s.name(), i));
      } else if (job == null) {
        Owned.apply(client, stc, DecommissionJob.build(s, i, to));
        pending.add(StreamTableClusterNames.slot(s.name(), i));
      } else if (succeeded(job)) {
        continue;
      } else if (failed(job)) {
        return new Outcome(
            false,
            null,
            "decommission Job "
                + name
                + " failed: replication slot "
                + StreamTableClusterNames.slot(s.name(), i)
                + " may still pin WAL; see the Job's logs, or drop it by hand with SELECT"
                + " pg_drop_replication_slot('"
                + StreamTableClusterNames.slot(s.name(), i)
                + "') and delete the Job to retry");
      } else {
        pending.add(StreamTableClusterNames.slot(s.name(), i));
      }
    }
    if (!stillPermanent.isEmpty()) {
      return new Outcome(
          false,
          "waiting for Patroni of PostgresCluster "
              + s.clusterRef()
              + " to stop keeping replication slots "
              + stillPermanent
              + " as permanent slots before dropping them",
          null);
    }
    if (!pending.isEmpty()) {
      return new Outcome(false, "dropping replication slots " + pending, null);
    }
    return new Outcome(true, null, null);
  }

  /**
   * Deletes this pipeline's decommission Jobs, done or failed: with no ordinal left to decommission
   * none of them is needed, and one left behind would stand for a slot dropped before a later
   * scale-up made it again.
   */
  private static void deleteJobs(KubernetesClient client, PipelineSettings s) {
    for (Job job :
        client
            .batch()
            .v1()
            .jobs()
            .inNamespace(s.namespace())
            .withLabels(StreamTableClusterNames.podSelector(s.name(), DecommissionJob.COMPONENT))
            .list()
            .getItems()) {
      if (job.getMetadata().getDeletionTimestamp() == null) {
        client.resource(job).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
      }
    }
  }

  private static boolean succeeded(Job job) {
    return job.getStatus() != null
        && job.getStatus().getSucceeded() != null
        && job.getStatus().getSucceeded() > 0;
  }

  private static boolean failed(Job job) {
    return job.getStatus() != null
        && job.getStatus().getConditions() != null
        && job.getStatus().getConditions().stream()
            .anyMatch(c -> "Failed".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /**
   * The {@code SlotsDropped} Event's message once the slots of ordinals {@code from} to {@code to -
   * 1} are gone, naming each slot and the consumer pod it served, e.g. "Dropped the replication
   * slot pgtrickle_shop_1 of CDC consumer pod shop-cdc-1 (scaled down to 1 consumer)".
   */
  static String droppedMessage(String name, int from, int to) {
    List<String> slots = new ArrayList<>();
    for (int ordinal = from; ordinal < to; ordinal++) {
      slots.add(StreamTableClusterNames.slot(name, ordinal));
    }
    String pods =
        to - from == 1
            ? "CDC consumer pod " + StreamTableClusterNames.cdcStatefulSet(name) + "-" + from
            : "CDC consumer pods "
                + StreamTableClusterNames.cdcStatefulSet(name)
                + "-"
                + from
                + " to "
                + StreamTableClusterNames.cdcStatefulSet(name)
                + "-"
                + (to - 1);
    return "Dropped the replication slot"
        + (slots.size() == 1 ? " " : "s ")
        + String.join(", ", slots)
        + " of "
        + pods
        + " (scaled down to "
        + from
        + (from == 1 ? " consumer)" : " consumers)");
  }

  /** The ordinal of a StatefulSet pod {@code NAME-cdc-ORDINAL}, or -1. */
  static int ordinal(String podName) {
    int dash = podName.lastIndexOf('-');
    try {
      return Integer.parseInt(podName.substring(dash + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
