package io.pgtrickle.operator.postgres.credentials;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.ReclaimPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's Secrets kept with its volumes. With {@code storage.reclaimPolicy: Retain} (the
 * default) the data directories outlive the cluster, and they know only the passwords of its
 * Secrets: a cluster created again under the same name with new generated passwords started its
 * members from the old data, Patroni could not log in to its own PostgreSQL ("password
 * authentication failed") and the cluster stayed Creating. So the deletion keeps every Secret the
 * cluster owns (its owner reference removed, {@value #ANNOTATION} naming the cluster), and a
 * cluster created again under that name uses them as they are (the generated ones are looked up by
 * name) and takes them back.
 *
 * <p>With {@code Delete} nothing is kept: the Secrets go with the volumes, by their owner
 * references.
 */
public final class KeptSecrets {

  /** On a kept Secret: the name of the cluster whose volumes it opens. */
  public static final String ANNOTATION = "postgres.example.com/kept-with-volumes-of";

  private static final Logger LOG = LoggerFactory.getLogger(KeptSecrets.class);

  private KeptSecrets() {}

  /** True when the cluster's deletion keeps its volumes, so its Secrets too. */
  public static boolean keptOnDeletion(PostgresCluster cluster) {
    return cluster.getSpec() == null
        || cluster.getSpec().getStorage() == null
        || cluster.getSpec().getStorage().getReclaimPolicy() != ReclaimPolicy.Delete;
  }

  /**
   * On deletion: releases the Secrets {@code cluster} owns from it, so that the garbage collector
   * leaves them, and marks them. Does nothing when the volumes are deleted too.
   *
   * @return the names of the Secrets kept
   */
  public static List<String> keep(KubernetesClient client, PostgresCluster cluster) {
    List<String> kept = new ArrayList<>();
    if (!keptOnDeletion(cluster)) {
      return kept;
    }
    String uid = cluster.getMetadata().getUid();
    String namespace = cluster.getMetadata().getNamespace();
    for (Secret s : client.secrets().inNamespace(namespace).list().getItems()) {
      if (!ownedBy(s, uid)) {
        continue;
      }
      if (!edit(
          client,
          namespace,
          s.getMetadata().getName(),
          secret -> {
            List<OwnerReference> others = new ArrayList<>();
            for (OwnerReference o : secret.getMetadata().getOwnerReferences()) {
              if (!uid.equals(o.getUid())) {
                others.add(o);
              }
            }
            secret.getMetadata().setOwnerReferences(others);
            secret.getMetadata().setAnnotations(annotated(secret, cluster));
            return secret;
          })) {
        continue;
      }
      kept.add(s.getMetadata().getName());
    }
    if (!kept.isEmpty()) {
      LOG.info(
          "PostgresCluster {}/{} deleted with its volumes kept: kept its Secrets {} with them",
          namespace,
          cluster.getMetadata().getName(),
          kept);
    }
    return kept;
  }

  /**
   * Takes back the Secrets an earlier cluster of this name kept: owner reference to {@code
   * cluster}, mark removed.
   *
   * @param secrets the Secrets of the namespace (an informer's cache)
   * @return the names of the Secrets taken back
   */
  public static List<String> adopt(
      KubernetesClient client, PostgresCluster cluster, Collection<Secret> secrets) {
    List<String> adopted = new ArrayList<>();
    String name = cluster.getMetadata().getName();
    String namespace = cluster.getMetadata().getNamespace();
    for (Secret s : secrets) {
      if (!namespace.equals(s.getMetadata().getNamespace()) || !keptFor(s, name)) {
        continue;
      }
      if (!edit(
          client,
          namespace,
          s.getMetadata().getName(),
          secret -> {
            List<OwnerReference> owners =
                new ArrayList<>(
                    secret.getMetadata().getOwnerReferences() == null
                        ? List.of()
                        : secret.getMetadata().getOwnerReferences());
            // A Secret the round applied meanwhile (TLS, the applied credentials) may carry the
            // reference already: one reference per owner.
            if (owners.stream().noneMatch(o -> cluster.getMetadata().getUid().equals(o.getUid()))) {
              owners.add(ownerReference(cluster));
            }
            secret.getMetadata().setOwnerReferences(owners);
            Map<String, String> annotations =
                new LinkedHashMap<>(secret.getMetadata().getAnnotations());
            annotations.remove(ANNOTATION);
            secret.getMetadata().setAnnotations(annotations);
            return secret;
          })) {
        continue;
      }
      adopted.add(s.getMetadata().getName());
    }
    if (!adopted.isEmpty()) {
      LOG.info(
          "PostgresCluster {}/{}: took back the Secrets {} kept with its volumes",
          namespace,
          name,
          adopted);
    }
    return adopted;
  }

  /**
   * Edits a Secret; false when it is gone meanwhile (any other error is thrown: the round, or the
   * deletion, is retried).
   */
  private static boolean edit(
      KubernetesClient client,
      String namespace,
      String name,
      java.util.function.UnaryOperator<Secret> change) {
    try {
      client.secrets().inNamespace(namespace).withName(name).edit(change);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /** True when {@code secret} was kept by the deletion of a cluster named {@code cluster}. */
  static boolean keptFor(Secret secret, String cluster) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    return annotations != null && cluster.equals(annotations.get(ANNOTATION));
  }

  static boolean ownedBy(Secret secret, String uid) {
    return secret.getMetadata().getOwnerReferences() != null
        && secret.getMetadata().getOwnerReferences().stream().anyMatch(o -> uid.equals(o.getUid()));
  }

  private static Map<String, String> annotated(Secret secret, PostgresCluster cluster) {
    Map<String, String> annotations =
        secret.getMetadata().getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(secret.getMetadata().getAnnotations());
    annotations.put(ANNOTATION, cluster.getMetadata().getName());
    return annotations;
  }

  private static OwnerReference ownerReference(PostgresCluster cluster) {
    return new OwnerReferenceBuilder()
        .withApiVersion(cluster.getApiVersion())
        .withKind(cluster.getKind())
        .withName(cluster.getMetadata().getName())
        .withUid(cluster.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }
}
