package io.pgtrickle.operator.spec;

import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;

/**
 * The security contexts of every pod the operator creates (PostgreSQL members, backup Jobs, CDC
 * consumers, workers, decommission Jobs): they pass the {@code restricted} level of Kubernetes' Pod
 * Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/), so the
 * operator's pods run in a namespace labelled {@code
 * pod-security.kubernetes.io/enforce=restricted}.
 *
 * <p>One place, so that a pod the operator adds later cannot be made with a weaker context by
 * accident.
 */
public final class RestrictedSecurity {

  private RestrictedSecurity() {}

  /**
   * The pod's context: a fixed non-root user and group (also the group owning the volumes) and the
   * runtime's default seccomp profile.
   *
   * @param uid the user id, also the group id and {@code fsGroup}; greater than 0
   * @return a new context
   * @throws IllegalArgumentException if {@code uid} is 0 (root), which the standard refuses
   */
  public static PodSecurityContext pod(long uid) {
    if (uid <= 0) {
      throw new IllegalArgumentException("a restricted pod runs as a non-root uid, got " + uid);
    }
    return new PodSecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withRunAsUser(uid)
        .withRunAsGroup(uid)
        .withFsGroup(uid)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .build();
  }

  /**
   * A container's context: no privilege escalation, every capability dropped, a read-only root
   * filesystem (writable paths are volumes, e.g. an {@code emptyDir} on {@code /tmp}), non-root.
   *
   * @return a new context
   */
  public static SecurityContext container() {
    return new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .build();
  }
}
