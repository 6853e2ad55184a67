package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Persistent storage of each cluster member. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "has(self.storageClass) == has(oldSelf.storageClass)"
            + " && (!has(self.storageClass) || self.storageClass == oldSelf.storageClass)",
    message =
        "spec.storage.storageClass cannot change: the members' volumes exist; create a new cluster"
            + " (or restore one from a backup) on the other storage class",
    reason = "FieldValueForbidden",
    fieldPath = ".storageClass")
public class StorageSpec {

  @Required
  @ValidationRule(
      value = "isQuantity(self) && quantity(self).isGreaterThan(quantity('0'))",
      message =
          "spec.storage.size must be a Kubernetes quantity greater than zero, such as 10Gi or 500Mi",
      reason = "FieldValueInvalid")
  @JsonPropertyDescription(
      "Size of each member's volume, a Kubernetes quantity such as 10Gi. Can grow: the operator"
          + " raises each member's claim (volume expansion; the StorageClass must allow it), and"
          + " condition Storage reports the progress. Never below the volumes' size"
          + " (status.storageSize): a growth the storage could not make can be undone.")
  private String size;

  @JsonPropertyDescription("StorageClass of the volumes; the cluster default when empty.")
  private String storageClass;

  @JsonPropertyDescription(
      "What happens to the members' volumes when the cluster is deleted: Retain (default) keeps"
          + " them, Delete removes them. The backup repository volume (destination type PVC) is"
          + " always kept.")
  private ReclaimPolicy reclaimPolicy;

  public String getSize() {
    return size;
  }

  public void setSize(String size) {
    this.size = size;
  }

  public String getStorageClass() {
    return storageClass;
  }

  public void setStorageClass(String storageClass) {
    this.storageClass = storageClass;
  }

  public ReclaimPolicy getReclaimPolicy() {
    return reclaimPolicy;
  }

  public void setReclaimPolicy(ReclaimPolicy reclaimPolicy) {
    this.reclaimPolicy = reclaimPolicy;
  }
}
