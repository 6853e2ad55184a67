package io.pgtrickle.operator.testbed;

import java.util.concurrent.CountDownLatch;

/**
 * Runs the test bed's stand-ins for the kubelet and the storage driver in one namespace until
 * stopped: volumes for every PVC ({@link VolumeProvisioner}) and real Patroni and PostgreSQL for
 * every PostgreSQL pod ({@link PatroniPods}). {@code make demo} starts it in the background.
 *
 * <p>Usage: {@code PodPlayerMain NAMESPACE}
 */
public final class PodPlayerMain {

  private PodPlayerMain() {}

  public static void main(String[] args) throws InterruptedException {
    String namespace = args.length > 0 ? args[0] : "default";
    TestBed testBed = TestBed.shared();
    VolumeProvisioner volumes = new VolumeProvisioner(testBed.client(), namespace);
    PatroniPods patroni = new PatroniPods(testBed, namespace);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  patroni.close();
                  volumes.close();
                  stopped.countDown();
                }));
    System.out.println("playing the kubelet for PostgreSQL pods in namespace " + namespace);
    stopped.await();
  }
}
