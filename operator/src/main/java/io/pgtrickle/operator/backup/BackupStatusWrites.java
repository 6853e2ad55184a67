package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciler's writes to a PostgresBackup, each on the condition that the resource is still the
 * version the reconcile read ({@code metadata.resourceVersion} as a precondition): the status is
 * the reconciler's memory (the Job counter {@code jobSequence}, the last Job reported), and a
 * reconcile that started from an older copy (the informer's cache lags the reconcile's own last
 * status write, e.g. when a Job event arrives first) must not write its older view over it. Such a
 * write is refused by the API server (409) and the reconcile runs again on the newer copy; the Jobs
 * it may have created meanwhile are named from the counter, so creating one again finds it (409)
 * instead of making a second.
 */
final class BackupStatusWrites {

  private static final Logger LOG = LoggerFactory.getLogger(BackupStatusWrites.class);

  private BackupStatusWrites() {}

  /**
   * Applies {@code status} (server-side apply on the status subresource, as {@code fieldManager})
   * if the PostgresBackup is still at {@code resourceVersion}.
   *
   * @return false when it changed since (nothing written: reconcile again on the newer copy)
   * @throws KubernetesClientException for any other refusal
   */
  static boolean status(
      KubernetesClient client,
      PostgresBackup backup,
      String resourceVersion,
      PostgresBackupStatus status,
      String fieldManager) {
    PostgresBackup patch = new PostgresBackup();
    patch.setMetadata(
        new ObjectMetaBuilder()
            .withName(backup.getMetadata().getName())
            .withNamespace(backup.getMetadata().getNamespace())
            .withResourceVersion(resourceVersion)
            .build());
    patch.setStatus(status);
    try {
      client
          .resource(patch)
          .subresource("status")
          .patch(
              new PatchContext.Builder()
                  .withPatchType(PatchType.SERVER_SIDE_APPLY)
                  .withFieldManager(fieldManager)
                  .withForce(true)
                  .build());
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      LOG.info(
          "status of PostgresBackup {}/{} not written: it changed since version {} this reconcile"
              + " read ({}); reconciling again on the newer one",
          backup.getMetadata().getNamespace(),
          backup.getMetadata().getName(),
          resourceVersion,
          lastWrite(client, backup));
      return false;
    }
  }

  /**
   * "now at version V, last written at TIME by MANAGER (OPERATION[ SUBRESOURCE]), ...", for the
   * log: every managedFields entry of the newest time (seconds: several may share it).
   */
  private static String lastWrite(KubernetesClient client, PostgresBackup backup) {
    try {
      PostgresBackup now =
          client
              .resources(PostgresBackup.class)
              .inNamespace(backup.getMetadata().getNamespace())
              .withName(backup.getMetadata().getName())
              .get();
      if (now == null) {
        return "gone now";
      }
      var fields = now.getMetadata().getManagedFields();
      String newest =
          fields.stream()
              .map(ManagedFieldsEntry::getTime)
              .filter(java.util.Objects::nonNull)
              .max(String::compareTo)
              .orElse(null);
      String writers =
          fields.stream()
              .filter(f -> newest != null && newest.equals(f.getTime()))
              .map(
                  f ->
                      f.getManager()
                          + " ("
                          + f.getOperation()
                          + (f.getSubresource() == null ? "" : " " + f.getSubresource())
                          + ")")
              .collect(java.util.stream.Collectors.joining(", "));
      return "now at version "
          + now.getMetadata().getResourceVersion()
          + (newest == null ? "" : ", last written at " + newest + " by " + writers);
    } catch (RuntimeException e) {
      return "its version now unknown: " + e.getMessage();
    }
  }

  /**
   * Removes the trigger annotation, so that {@code kubectl annotate ... trigger=now} works again,
   * if the PostgresBackup is still at {@code resourceVersion} (a JSON patch testing it first: an
   * older copy must not remove a trigger set since).
   *
   * @return the new resourceVersion, or null when it was not removed (logged)
   */
  static String removeTrigger(
      KubernetesClient client, PostgresBackup backup, String resourceVersion) {
    String key = PostgresBackup.TRIGGER_ANNOTATION.replace("~", "~0").replace("/", "~1");
    try {
      PostgresBackup patched =
          client
              .resources(PostgresBackup.class)
              .inNamespace(backup.getMetadata().getNamespace())
              .withName(backup.getMetadata().getName())
              .patch(
                  new PatchContext.Builder().withPatchType(PatchType.JSON).build(),
                  "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\""
                      + resourceVersion
                      + "\"},{\"op\":\"remove\",\"path\":\"/metadata/annotations/"
                      + key
                      + "\"}]");
      return patched.getMetadata().getResourceVersion();
    } catch (RuntimeException e) {
      LOG.warn(
          "could not remove the trigger annotation of {}/{} (version {}): {}",
          backup.getMetadata().getNamespace(),
          backup.getMetadata().getName(),
          resourceVersion,
          e.toString());
      return null;
    }
  }
}
