package io.pgtrickle.operator.storage;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.backup.pgbackrest.PodCommand;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures each member's data volume in its PostgreSQL container (exec, as {@code kubectl exec POD
 * -c postgres -- sh -c 'df -Pk /var/lib/postgresql/data'}, and {@code du -sk} when the volume is a
 * directory of a larger file system, {@link DiskFigures}) and reports condition {@link
 * VolumeSpaceCondition#TYPE}, with a Warning Event when a volume becomes low or full. Exec works
 * while PostgreSQL is down (Patroni is the container's process), a SQL query would not.
 *
 * <p>At most once per {@code every} per cluster, sooner while a volume is low or filling ({@link
 * VolumeSpaceCadence}; the reconcile between keeps the condition as it is), each exec bounded by
 * {@link #EXEC_TIMEOUT}. The last reading of each member is remembered in memory: a member that
 * cannot be measured (container not running, exec refused or too slow) is reported with it, and
 * since when.
 */
public final class VolumeSpaceProbe {

  private static final Logger LOG = LoggerFactory.getLogger(VolumeSpaceProbe.class);

  /** The bound of each exec: {@code df} answers at once; {@code du} walks the data directory. */
  static final Duration EXEC_TIMEOUT = Duration.ofSeconds(15);

  /**
   * What was measured of one cluster: when, each member's last reading, and the wait until the next
   * measurement ({@link VolumeSpaceCadence}).
   */
  private record Memory(
      Instant probed, Map<String, VolumeSpaceCondition.Member> members, Duration pause) {}

  private final Map<String, Memory> memory = new ConcurrentHashMap<>();

  /**
   * Sets the condition in {@code next} from a new measurement when one is due (else leaves it as
   * {@code next} carries it over), and records the Warning Event when it got worse than {@code
   * previous}'s.
   *
   * @param every how often to measure while the volumes have room and hold still ({@link
   *     VolumeSpaceCadence} measures sooner while one is low or filling)
   * @return how long until the next measurement is due (the reconcile's latest retry)
   */
  public Duration report(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Pod> pods,
      PostgresClusterStatus previous,
      PostgresClusterStatus next,
      Instant now,
      Duration every) {
    String key = key(cluster);
    Memory last = memory.get(key);
    if (last != null && now.isBefore(last.probed().plus(last.pause()))) {
      return Duration.between(now, last.probed().plus(last.pause()));
    }
    List<VolumeSpaceCondition.Member> members;
    try {
      members = measure(client, cluster, pods, last, now);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return every;
    }
    Map<String, VolumeSpaceCondition.Member> remembered = new ConcurrentHashMap<>();
    members.forEach(m -> remembered.put(m.name(), m));
    Duration wait =
        VolumeSpaceCadence.next(last == null ? Map.of() : last.members(), remembered, every);
    memory.put(key, new Memory(now, remembered, wait));
    next.setConditions(
        VolumeSpaceCondition.with(
            next.getConditions(), members, cluster.getMetadata().getGeneration(), now));
    Optional<String> warning =
        VolumeSpaceCondition.warning(
            previous == null ? List.of() : previous.getConditions(), next.getConditions());
    if (warning.isPresent()) {
      String message =
          io.pgtrickle.operator.status.Conditions.find(
                  next.getConditions(), VolumeSpaceCondition.TYPE)
              .orElseThrow()
              .getMessage();
      EventRecorder.warning(client, cluster, warning.get(), message);
    }
    return wait;
  }

  /** Forgets what was measured of a deleted cluster. */
  public void forget(PostgresCluster cluster) {
    memory.remove(key(cluster));
  }

  private List<VolumeSpaceCondition.Member> measure(
      KubernetesClient client, PostgresCluster cluster, List<Pod> pods, Memory last, Instant now)
      throws InterruptedException {
    List<VolumeSpaceCondition.Member> members = new ArrayList<>();
    List<Pod> sorted =
        pods.stream()
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
            .toList();
    for (Pod pod : sorted) {
      String name = pod.getMetadata().getName();
      VolumeSpaceCondition.Member before = last == null ? null : last.members().get(name);
      boolean running = postgresContainerRunning(pod);
      String problem = "its PostgreSQL container is not running";
      if (running) {
        try {
          members.add(VolumeSpaceCondition.Member.measured(measure(client, cluster, name), now));
          continue;
        } catch (TimeoutException | IllegalStateException | KubernetesClientException e) {
          problem = e.getMessage();
          LOG.info(
              "cannot measure the data volume of {}/{}: {}",
              cluster.getMetadata().getNamespace(),
              name,
              problem);
        }
      }
      VolumeSpaceCondition.Member.notMeasured(name, before, running, problem)
          .ifPresent(members::add);
    }
    return members;
  }

  /**
   * One member's reading.
   *
   * @throws IllegalStateException when {@code df}'s output cannot be read
   */
  private static VolumeSpace.Reading measure(
      KubernetesClient client, PostgresCluster cluster, String pod)
      throws TimeoutException, InterruptedException {
    String namespace = cluster.getMetadata().getNamespace();
    PodCommand.Result df = run(client, namespace, pod, "df -Pk " + ClusterStatefulSet.DATA_MOUNT);
    DiskFigures.FileSystem fs =
        DiskFigures.parseDf(df.stdout())
            .orElseThrow(() -> new IllegalStateException("df failed: " + df.tail()));
    long capacity = capacity(client, namespace, pod);
    if (!DiskFigures.shared(fs, capacity)) {
      return DiskFigures.dedicated(pod, fs);
    }
    PodCommand.Result du = run(client, namespace, pod, "du -sk " + ClusterStatefulSet.DATA_MOUNT);
    long used =
        DiskFigures.parseDu(du.stdout())
            .orElseThrow(() -> new IllegalStateException("du failed: " + du.tail()));
    return DiskFigures.directory(pod, fs, used, capacity);
  }

  private static PodCommand.Result run(
      KubernetesClient client, String namespace, String pod, String command)
      throws TimeoutException, InterruptedException {
    return PodCommand.run(
        client, namespace, pod, ClusterStatefulSet.CONTAINER, EXEC_TIMEOUT, "sh", "-c", command);
  }

  /** The member's claim's {@code status.capacity}, bytes; 0 when not known. */
  private static long capacity(KubernetesClient client, String namespace, String pod) {
    PersistentVolumeClaim claim =
        client
            .persistentVolumeClaims()
            .inNamespace(namespace)
            .withName(ClusterStatefulSet.DATA_VOLUME + "-" + pod)
            .get();
    Quantity capacity =
        claim == null || claim.getStatus() == null || claim.getStatus().getCapacity() == null
            ? null
            : claim.getStatus().getCapacity().get("storage");
    return capacity == null ? 0 : Quantity.getAmountInBytes(capacity).longValue();
  }

  private static boolean postgresContainerRunning(Pod pod) {
    List<ContainerStatus> statuses =
        pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
    return statuses != null
        && statuses.stream()
            .anyMatch(
                s ->
                    ClusterStatefulSet.CONTAINER.equals(s.getName())
                        && s.getState() != null
                        && s.getState().getRunning() != null);
  }

  private static String key(PostgresCluster cluster) {
    return cluster.getMetadata().getNamespace()
        + "/"
        + cluster.getMetadata().getName()
        + "/"
        + cluster.getMetadata().getUid();
  }
}
