package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet and the storage driver in every namespace of the test bed, as a real cluster's
 * nodes would: a {@link VolumeProvisioner}, {@link PatroniPods} and {@link ProgramPods} (the
 * project's programs, with cluster DNS and Service routing) for each namespace from the moment it
 * appears until it is gone (a namespace being deleted is played until then, so its pods can stop
 * gracefully). Namespaces labelled {@link TestBed#PLAYED_BY_TEST_LABEL} are left alone: their test
 * plays them itself, or wants them unplayed.
 */
public final class EveryNamespace implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EveryNamespace.class);

  private final TestBed testBed;
  private final Map<String, Played> played = new ConcurrentHashMap<>();
  private final SharedIndexInformer<Namespace> informer;

  private record Played(VolumeProvisioner volumes, PatroniPods pods, ProgramPods programs) {}

  public EveryNamespace(TestBed testBed) {
    this.testBed = testBed;
    this.informer =
        testBed
            .client()
            .namespaces()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Namespace namespace) {
                    play(namespace);
                  }

                  @Override
                  public void onUpdate(Namespace old, Namespace namespace) {
                    play(namespace);
                  }

                  @Override
                  public void onDelete(Namespace namespace, boolean unknown) {
                    stop(namespace.getMetadata().getName());
                  }
                });
  }

  /** Whether a namespace is the demo's to play. */
  static boolean playable(Namespace namespace) {
    Map<String, String> labels = namespace.getMetadata().getLabels();
    return labels == null || !labels.containsKey(TestBed.PLAYED_BY_TEST_LABEL);
  }

  private synchronized void play(Namespace namespace) {
    String name = namespace.getMetadata().getName();
    if (!playable(namespace) || played.containsKey(name)) {
      return;
    }
    if (namespace.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    LOG.info("playing the kubelet for PostgreSQL and program pods in namespace {}", name);
    played.put(
        name,
        new Played(
            new VolumeProvisioner(testBed.client(), name),
            new PatroniPods(testBed, name),
            new ProgramPods(testBed, name)));
  }

  private synchronized void stop(String name) {
    Played gone = played.remove(name);
    if (gone != null) {
      LOG.info("namespace {} is gone", name);
      gone.programs().close();
      gone.pods().close();
      gone.volumes().close();
    }
  }

  /** The namespaces played now. */
  public java.util.Set<String> namespaces() {
    return java.util.Set.copyOf(played.keySet());
  }

  @Override
  public synchronized void close() {
    informer.close();
    played.keySet().stream().toList().forEach(this::stop);
  }
}
