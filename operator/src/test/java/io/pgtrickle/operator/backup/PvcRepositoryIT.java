package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.backup.destination.type: PVC} for real: the operator makes the ReadWriteMany claim
 * {@code NAME-pgbackrest-repo} (no owner: the backups outlive the cluster), every member mounts it
 * at {@code /pgbackrest-repo} (on the test bed one directory per claim shared by the pods, as a
 * ReadWriteMany volume is), pgBackRest 2.55.1 archives WAL and takes a full then an incremental
 * backup into it ({@code repo1-type=posix}), {@code pgbackrest info} in the pod agrees with the
 * PostgresBackup's status, and a new cluster restores from it (the source's claim mounted read-only
 * beside its own) with the source's data ({@link ObjectStoreRoundTrip}).
 */
class PvcRepositoryIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  @Test
  void backupsLandOnTheRepositoryVolumeAndANewClusterRestoresFromIt() throws Exception {
    KubernetesClient client = NAMESPACE.client();
    ObjectStoreRoundTrip roundTrip = new ObjectStoreRoundTrip(NAMESPACE);
    Path claims =
        NAMESPACE
            .testBed()
            .repositoryRootPath()
            .resolve("target/testbed/pod-volumes")
            .resolve(NAMESPACE.name())
            .resolve("claims");
    roundTrip.run(
        "  backup:\n    destination:\n      type: PVC\n      size: 2Gi\n",
        "the volume src-pgbackrest-repo",
        () -> {
          PersistentVolumeClaim claim =
              client
                  .persistentVolumeClaims()
                  .inNamespace(NAMESPACE.name())
                  .withName("src-pgbackrest-repo")
                  .get();
          assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
          assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
              .isEqualTo("2Gi");
          assertThat(claim.getMetadata().getOwnerReferences()).isNullOrEmpty();
          return files(claims.resolve("src-pgbackrest-repo"), roundTrip.path("src"));
        });
  }

  /** The files under {@code root/path}, as paths relative to {@code root}. */
  private static List<String> files(Path root, String path) {
    try (Stream<Path> walk = Files.walk(root.resolve(path))) {
      return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
