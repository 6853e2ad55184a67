package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Handing the workers' {@code spec.replicas} over before the operator stops applying it.
 *
 * <p>With {@code autoscaler: none} the operator applies {@code replicas: workers.min}; with an
 * autoscaler it leaves the field out ({@link WorkerDeployment}). Under server-side apply, a field
 * that the applying manager drops and that no other manager owns is removed from the live object,
 * and a Deployment without {@code replicas} is defaulted to 1: switching from {@code none} to
 * {@code hpa} or {@code keda} ran 1 worker until the HPA scaled up again. The documented fix
 * (Server-Side Apply, "Transferring ownership") is to have a second manager, {@value
 * #FIELD_MANAGER}, apply the live count first, so that it co-owns the field and the operator's
 * apply without it leaves the count alone; the HPA takes the field over at its next scaling.
 *
 * <p>Pure: the decision reads only the live object's {@code managedFields}.
 */
public final class ReplicasHandover {

  /** The field manager that co-owns {@code spec.replicas} while it passes to the autoscaler. */
  public static final String FIELD_MANAGER = "pgtrickle-operator-handover";

  private static final String SPEC = "f:spec";
  private static final String REPLICAS = "f:replicas";

  private ReplicasHandover() {}

  /**
   * The count the handover manager must apply before {@code desired} is applied, or empty when
   * nothing is to hand over: {@code desired} sets {@code replicas} itself, the live object has no
   * count, the operator's manager does not own the field, or another manager owns it too (the field
   * then survives the operator's apply; the handover manager of an earlier switch counts).
   *
   * @param live the Deployment as it is, with its {@code managedFields}
   * @param desired what the operator is about to apply
   * @param operatorManager the field manager of the operator's applies
   */
  public static OptionalInt replicasToHandOver(
      Deployment live, Deployment desired, String operatorManager) {
    if (live == null
        || live.getSpec() == null
        || live.getSpec().getReplicas() == null
        || (desired.getSpec() != null && desired.getSpec().getReplicas() != null)) {
      return OptionalInt.empty();
    }
    List<ManagedFieldsEntry> entries =
        Objects.requireNonNullElse(live.getMetadata().getManagedFields(), List.of());
    boolean operatorOwns = false;
    boolean othersOwn = false;
    for (ManagedFieldsEntry e : entries) {
      if (!ownsSpecReplicas(e)) {
        continue;
      }
      if (operatorManager.equals(e.getManager()) && "Apply".equals(e.getOperation())) {
        operatorOwns = true;
      } else {
        othersOwn = true;
      }
    }
    return operatorOwns && !othersOwn
        ? OptionalInt.of(live.getSpec().getReplicas())
        : OptionalInt.empty();
  }

  /**
   * Whether a managedFields entry owns {@code spec.replicas} ({@code fieldsV1} {@code
   * {"f:spec":{"f:replicas":{}}}}); an entry for the {@code scale} subresource, as the HPA writes,
   * lists the Deployment's own path too.
   */
  static boolean ownsSpecReplicas(ManagedFieldsEntry e) {
    if (e.getFieldsV1() == null || e.getFieldsV1().getAdditionalProperties() == null) {
      return false;
    }
    return e.getFieldsV1().getAdditionalProperties().get(SPEC) instanceof Map<?, ?> spec
        && spec.containsKey(REPLICAS);
  }

  /**
   * The server-side apply body of the handover: the Deployment's identity and {@code
   * spec.replicas}, nothing else.
   */
  public static String applyBody(String namespace, String name, int replicas) {
    return Serialization.asJson(
        Map.of(
            "apiVersion",
            "apps/v1",
            "kind",
            "Deployment",
            "metadata",
            Map.of("name", name, "namespace", namespace),
            "spec",
            Map.of("replicas", replicas)));
  }
}
