package io.pgtrickle.testbed;

import java.util.concurrent.CountDownLatch;

/**
 * Runs the test bed's stand-ins for the kubelet and the storage driver until stopped: volumes for
 * every PVC ({@link VolumeProvisioner}), real Patroni and PostgreSQL for every PostgreSQL pod
 * ({@link PatroniPods}) and the project's programs for CDC consumer and worker pods ({@link
 * ProgramPods}, from the packaged jars), in every namespace as the nodes of a real cluster would
 * ({@link EveryNamespace}: all but those a test plays itself), or in one. {@code make demo} starts
 * it in the background for every namespace.
 *
 * <p>Usage: {@code PodPlayerMain [NAMESPACE]}
 */
public final class PodPlayerMain {

  private PodPlayerMain() {}

  public static void main(String[] args) throws InterruptedException {
    TestBed testBed = TestBed.shared();
    CountDownLatch stopped = new CountDownLatch(1);
    AutoCloseable player;
    if (args.length > 0 && !args[0].isBlank()) {
      String namespace = args[0];
      VolumeProvisioner volumes = new VolumeProvisioner(testBed.client(), namespace);
      PatroniPods patroni = new PatroniPods(testBed, namespace);
      ProgramPods programs = new ProgramPods(testBed, namespace);
      player =
          () -> {
            programs.close();
            patroni.close();
            volumes.close();
          };
      System.out.println(
          "playing the kubelet for PostgreSQL and program pods in namespace " + namespace);
    } else {
      player = new EveryNamespace(testBed);
      System.out.println(
          "playing the kubelet for PostgreSQL and program pods in every namespace (but those labelled "
              + TestBed.PLAYED_BY_TEST_LABEL
              + ")");
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    player.close();
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                  stopped.countDown();
                }));
    stopped.await();
  }
}
