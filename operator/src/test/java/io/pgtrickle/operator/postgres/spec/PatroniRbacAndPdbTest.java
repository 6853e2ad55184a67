package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.Role;
import org.junit.jupiter.api.Test;

class PatroniRbacAndPdbTest {

  @Test
  void roleGrantsOnlyConfigMapsAndPods() {
    Role role = PatroniRbac.role(Clusters.basic(3));
    assertThat(role.getMetadata().getName()).isEqualTo("db-patroni");
    assertThat(role.getRules())
        .flatExtracting(r -> r.getResources())
        .containsExactlyInAnyOrder("configmaps", "pods");
    assertThat(role.getRules()).allSatisfy(r -> assertThat(r.getVerbs()).doesNotContain("*"));
    assertThat(role.getRules())
        .filteredOn(r -> r.getResources().contains("pods"))
        .allSatisfy(r -> assertThat(r.getVerbs()).doesNotContain("create", "delete"));
  }

  @Test
  void bindingTiesRoleToServiceAccount() {
    var binding = PatroniRbac.roleBinding(Clusters.basic(3));
    assertThat(binding.getRoleRef().getName()).isEqualTo("db-patroni");
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName()).isEqualTo("db-patroni");
              assertThat(s.getNamespace()).isEqualTo("ns");
            });
  }

  @Test
  void pdbAllowsOneMemberDown() {
    var pdb = ClusterPdb.podDisruptionBudget(Clusters.basic(3));
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.getSpec().getSelector().getMatchLabels())
        .containsEntry("postgres.example.com/cluster", "db");
  }
}
