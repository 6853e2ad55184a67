package io.pgtrickle.cdc.it;

import io.fabric8.kubernetes.api.model.Pod;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What the cluster DNS does for the headless {@code NAME-pods} Service: its name resolves to the IP
 * of every pod of the cluster, ready or not. The test bed has no DNS, so this writes a hosts file
 * (every 200 ms, atomically) that a child JVM reads with {@code -Djdk.net.hosts.file}, and the
 * consumer resolves {@link #name()} as it would in a cluster.
 */
final class HeadlessServiceHosts implements AutoCloseable {

  private final TestNamespace namespace;
  private final String cluster;
  private final Path file;
  private final Thread writer;
  private volatile boolean closed;

  HeadlessServiceHosts(TestNamespace namespace, String cluster, Path dir) {
    this.namespace = namespace;
    this.cluster = cluster;
    this.file = dir.resolve("hosts");
    write();
    writer = new Thread(this::run, "headless-service-hosts");
    writer.setDaemon(true);
    writer.start();
  }

  /** The Service's DNS name, as a pod in another namespace would use it. */
  String name() {
    return cluster + "-pods." + namespace.name() + ".svc";
  }

  /** The JVM option that makes a child JVM resolve names through this file. */
  String jvmOption() {
    return "-Djdk.net.hosts.file=" + file;
  }

  private void run() {
    while (!closed) {
      try {
        write();
      } catch (RuntimeException e) {
        // The API server is busy or restarting: keep the last file, try again.
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void write() {
    StringBuilder hosts = new StringBuilder();
    for (Pod p : namespace.client().pods().inNamespace(namespace.name()).list().getItems()) {
      String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
      if (ip != null && p.getMetadata().getName().startsWith(cluster + "-")) {
        hosts.append(ip).append(' ').append(name()).append('\n');
      }
    }
    try {
      Path next = file.resolveSibling("hosts.next");
      Files.writeString(next, hosts.toString(), StandardCharsets.UTF_8);
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    closed = true;
    writer.interrupt();
  }
}
