package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.util.List;

/**
 * The identity Patroni runs as, with exactly what its Kubernetes DCS needs in the cluster's
 * namespace: the leader lock and configuration in ConfigMaps, and role labels on its pods.
 */
public final class PatroniRbac {

  /** Patroni with {@code use_endpoints: false}: ConfigMaps for state, pods for members. */
  static final List<PolicyRule> RULES =
      List.of(
          new PolicyRuleBuilder()
              .withApiGroups("")
              .withResources("configmaps")
              .withVerbs("create", "get", "list", "watch", "patch", "update", "delete")
              .build(),
          new PolicyRuleBuilder()
              .withApiGroups("")
              .withResources("pods")
              .withVerbs("get", "list", "watch", "patch", "update")
              .build());

  private PatroniRbac() {}

  public static ServiceAccount serviceAccount(PostgresCluster cluster) {
    return new ServiceAccountBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.patroniServiceAccount(cluster), "patroni"))
        .build();
  }

  public static Role role(PostgresCluster cluster) {
    return new RoleBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.patroniServiceAccount(cluster), "patroni"))
        .withRules(RULES)
        .build();
  }

  public static RoleBinding roleBinding(PostgresCluster cluster) {
    String name = ClusterNames.patroniServiceAccount(cluster);
    return new RoleBindingBuilder()
        .withMetadata(Metadata.of(cluster, name, "patroni"))
        .withNewRoleRef()
        .withApiGroup("rbac.authorization.k8s.io")
        .withKind("Role")
        .withName(name)
        .endRoleRef()
        .addNewSubject()
        .withKind("ServiceAccount")
        .withName(name)
        .withNamespace(cluster.getMetadata().getNamespace())
        .endSubject()
        .build();
  }
}
