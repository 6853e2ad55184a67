package io.pgtrickle.adapter.it;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The adapter's identity with exactly the RBAC the project ships: the rules of the ClusterRole
 * {@code pg-trickle-metrics-adapter} and the Role {@code pg-trickle-metrics-adapter-tls} of {@code
 * deploy/operator.yaml} (the chart rendered; {@code DeployManifestsTest} keeps them equal), bound
 * as the chart binds them, plus {@code system:auth-delegator} and {@code
 * extension-apiserver-authentication-reader}, to a ServiceAccount of the test namespace; the
 * adapter's client impersonates it. Cluster-scoped objects are named after the namespace and
 * deleted by {@link #close}.
 */
final class ShippedRbac implements AutoCloseable {

  private static final String NAME = "pg-trickle-metrics-adapter";

  private final KubernetesClient admin;
  private final String namespace;
  private final String clusterName;
  private KubernetesClient adapterClient;

  ShippedRbac(KubernetesClient admin, String namespace) {
    this.admin = admin;
    this.namespace = namespace;
    this.clusterName = "it-" + namespace + "-" + NAME;
  }

  /**
   * Creates the ServiceAccount, roles and bindings.
   *
   * @param deployYaml {@code deploy/operator.yaml}
   * @return a client that acts as the adapter's ServiceAccount
   */
  KubernetesClient install(Path deployYaml) throws IOException {
    List<HasMetadata> shipped;
    try (InputStream in = Files.newInputStream(deployYaml)) {
      shipped = admin.load(in).items();
    }
    ClusterRole clusterRole = named(shipped, ClusterRole.class, NAME);
    Role tls = named(shipped, Role.class, NAME + "-tls");
    admin
        .serviceAccounts()
        .inNamespace(namespace)
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata()
                .withName(NAME)
                .endMetadata()
                .build())
        .create();
    admin
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(clusterName)
                .endMetadata()
                .withRules(clusterRole.getRules())
                .build())
        .create();
    bindCluster(clusterName, clusterName);
    bindCluster(clusterName + ":system:auth-delegator", "system:auth-delegator");
    admin
        .rbac()
        .roles()
        .inNamespace(namespace)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName(NAME + "-tls")
                .endMetadata()
                .withRules(tls.getRules())
                .build())
        .create();
    bindRole(namespace, NAME + "-tls", NAME + "-tls");
    bindRole(
        "kube-system", clusterName + "-auth-reader", "extension-apiserver-authentication-reader");
    String user = "system:serviceaccount:" + namespace + ":" + NAME;
    adapterClient =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(admin.getConfiguration())
                    .withImpersonateUsername(user)
                    .withImpersonateGroups(
                        "system:serviceaccounts",
                        "system:serviceaccounts:" + namespace,
                        "system:authenticated")
                    .build())
            .build();
    return adapterClient;
  }

  private static <T extends HasMetadata> T named(
      List<HasMetadata> all, Class<T> type, String name) {
    return all.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("deploy/operator.yaml has no " + name));
  }

  private void bindCluster(String bindingName, String role) {
    admin
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(bindingName)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(NAME)
                .withNamespace(namespace)
                .endSubject()
                .build())
        .create();
  }

  private void bindRole(String ns, String bindingName, String role) {
    admin
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName(bindingName)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", role)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(NAME)
                .withNamespace(namespace)
                .endSubject()
                .build())
        .create();
  }

  @Override
  public void close() {
    if (adapterClient != null) {
      adapterClient.close();
    }
    admin.rbac().clusterRoleBindings().withName(clusterName).delete();
    admin.rbac().clusterRoleBindings().withName(clusterName + ":system:auth-delegator").delete();
    admin.rbac().clusterRoles().withName(clusterName).delete();
    admin
        .rbac()
        .roleBindings()
        .inNamespace("kube-system")
        .withName(clusterName + "-auth-reader")
        .delete();
  }
}
