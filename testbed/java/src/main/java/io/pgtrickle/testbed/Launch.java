package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.util.List;

/**
 * One start of a program pod's container, as a {@link Launcher} sees it.
 *
 * @param pod the pod
 * @param container its (first) container
 * @param ip the pod's IP, a 127.x address of the test bed's pod network
 * @param hostsFile the cluster DNS of the pod's namespace, as a hosts file ({@link ClusterDns})
 * @param tmpDir the pod's own writable directory (its {@code /tmp})
 */
public record Launch(Pod pod, Container container, String ip, Path hostsFile, Path tmpDir) {

  /**
   * The options a JVM of this pod needs on the test bed: Service and pod names resolved through
   * {@link #hostsFile} (there is no cluster DNS), cached for 2 s as the file changes while pods
   * come and go, temporary files in the pod's directory, no perf data file in the host's /tmp.
   */
  public List<String> jvmOptions() {
    return List.of(
        "-Djdk.net.hosts.file=" + hostsFile,
        "-Dsun.net.inetaddr.ttl=2",
        "-Dsun.net.inetaddr.negative.ttl=1",
        "-Djava.io.tmpdir=" + tmpDir,
        "-XX:-UsePerfData");
  }
}
