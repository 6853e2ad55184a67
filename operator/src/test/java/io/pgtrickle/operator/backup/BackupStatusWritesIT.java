package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.testbed.TestNamespace;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The PostgresBackup reconciler's conditional writes on the real API server (no operator runs in
 * this namespace): a status written from an older copy of the resource is refused and leaves the
 * newer status as it is, where an unconditional server-side apply of that older status removes the
 * newer {@code jobSequence} (what made the next trigger find its Job name taken and take no
 * backup); and a trigger set after the copy was read is not removed.
 */
class BackupStatusWritesIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String MANAGER = "backup-status-writes-it";

  @Test
  void aStatusFromAnOlderCopyIsRefusedAndLeavesTheNewerOne() {
    KubernetesClient client = NAMESPACE.client();
    PostgresBackup old = create(client, "stale");

    PostgresBackupStatus running = status(BackupPhase.Running, 1);
    assertThat(
            BackupStatusWrites.status(
                client, old, old.getMetadata().getResourceVersion(), running, MANAGER))
        .isTrue();
    assertThat(read(client, "stale").getStatus().getJobSequence()).isEqualTo(1);

    // A reconcile that read the resource before that write: its view has no jobSequence.
    PostgresBackupStatus older = status(BackupPhase.Scheduled, null);
    assertThat(
            BackupStatusWrites.status(
                client, old, old.getMetadata().getResourceVersion(), older, MANAGER))
        .isFalse();
    PostgresBackup now = read(client, "stale");
    assertThat(now.getStatus().getJobSequence()).isEqualTo(1);
    assertThat(now.getStatus().getPhase()).isEqualTo(BackupPhase.Running);

    // The same older view applied without the precondition (as before): the counter is gone.
    PostgresBackup patch = new PostgresBackup();
    patch.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("stale")
            .withNamespace(NAMESPACE.name())
            .build());
    patch.setStatus(older);
    client
        .resource(patch)
        .subresource("status")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager(MANAGER)
                .withForce(true)
                .build());
    assertThat(read(client, "stale").getStatus().getJobSequence()).isNull();

    // What a timed-out backup wait prints (no Jobs here): the resource's status.
    assertThat(BackupDiagnostics.describe(NAMESPACE, "stale"))
        .startsWith("PostgresBackup stale:")
        .contains("\"phase\":\"Scheduled\"")
        .doesNotContain("diagnostics incomplete");
    assertThat(
            io.pgtrickle.testbed.PodLogs.tail(
                NAMESPACE.testBed(), NAMESPACE.name(), "stale-1-abcde", 5))
        .startsWith("(no log at ");
  }

  @Test
  void aTriggerSetAfterTheCopyWasReadStays() {
    KubernetesClient client = NAMESPACE.client();
    PostgresBackup old = create(client, "trigger");
    Edits.edit(
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName("trigger"),
        b -> {
          b.getMetadata().setAnnotations(Map.of(PostgresBackup.TRIGGER_ANNOTATION, "now"));
          return b;
        });
    PostgresBackup triggered = read(client, "trigger");

    assertThat(
            BackupStatusWrites.removeTrigger(client, old, old.getMetadata().getResourceVersion()))
        .isNull();
    assertThat(read(client, "trigger").getMetadata().getAnnotations())
        .containsKey(PostgresBackup.TRIGGER_ANNOTATION);

    String version =
        BackupStatusWrites.removeTrigger(
            client, triggered, triggered.getMetadata().getResourceVersion());
    assertThat(version).isNotNull().isNotEqualTo(triggered.getMetadata().getResourceVersion());
    PostgresBackup removed = read(client, "trigger");
    assertThat(removed.getMetadata().getAnnotations())
        .doesNotContainKey(PostgresBackup.TRIGGER_ANNOTATION);
    assertThat(removed.getMetadata().getResourceVersion()).isEqualTo(version);
    // The reconcile's status write then carries the version its own removal made.
    assertThat(
            BackupStatusWrites.status(
                client, triggered, version, status(BackupPhase.Running, 1), MANAGER))
        .isTrue();
  }

  private static PostgresBackupStatus status(BackupPhase phase, Integer jobSequence) {
    PostgresBackupStatus status = new PostgresBackupStatus();
    status.setPhase(phase);
    status.setJobSequence(jobSequence);
    status.setMessage(phase.toString());
    return status;
  }

  private static PostgresBackup create(KubernetesClient client, String name) {
    return client
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                        + "  name: "
                        + name
                        + "\n  namespace: "
                        + NAMESPACE.name()
                        + "\nspec:\n  clusterName: none\n",
                    PostgresBackup.class))
        .create();
  }

  private static PostgresBackup read(KubernetesClient client, String name) {
    return client
        .resources(PostgresBackup.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .get();
  }
}
