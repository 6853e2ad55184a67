package io.pgtrickle.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster DNS of the program pods this JVM plays, as hosts files: the test bed has no DNS
 * server, so each played namespace gets {@code target/testbed/programs/NAMESPACE/hosts}, which its
 * pods' JVMs read instead of resolv.conf ({@code -Djdk.net.hosts.file}, see {@link
 * Launch#jvmOptions}). It holds what CoreDNS would answer there: {@code SERVICE.NS.svc} (also
 * {@code SERVICE.NS}, {@code SERVICE.NS.svc.cluster.local}, and plain {@code SERVICE} in the file
 * of its own namespace, as the pod's search path would complete it) for every Service of the
 * namespaces this JVM routes ({@link ServiceRouting}), and {@code HOSTNAME.SUBDOMAIN.NS.svc} for
 * pods of headless Services. Files are replaced atomically whenever an answer changes.
 */
final class ClusterDns {

  /**
   * One name of a namespace and its addresses.
   *
   * @param name relative to the namespace: {@code SERVICE} or {@code HOSTNAME.SERVICE}
   * @param ips the addresses (a virtual address, or a headless Service's pods)
   */
  record Record(String name, List<String> ips) {}

  private static ClusterDns shared;

  private final Path dir;
  private final String hostname;
  private final Map<String, List<Record>> byNamespace = new TreeMap<>();

  /** The last text of each namespace's file, and the files that take copies of it in place. */
  private final Map<String, String> texts = new TreeMap<>();

  private final Map<String, List<Path>> mirrors = new TreeMap<>();

  private ClusterDns(Path dir) {
    this.dir = dir;
    String name;
    try {
      name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    } catch (IOException e) {
      name = "localhost";
    }
    this.hostname = name;
  }

  static synchronized ClusterDns shared(TestBed testBed) {
    if (shared == null) {
      shared = new ClusterDns(testBed.repositoryRootPath().resolve("target/testbed/programs"));
    }
    return shared;
  }

  /** The hosts file of a namespace's pods (written once the namespace is routed). */
  Path hostsFile(String namespace) {
    return dir.resolve(namespace).resolve("hosts");
  }

  /** The namespace's answers now; every routed namespace's file is rewritten. */
  synchronized void update(String namespace, List<Record> records) {
    List<Record> now = List.copyOf(records);
    if (now.equals(byNamespace.get(namespace))) {
      return;
    }
    byNamespace.put(namespace, now);
    byNamespace.keySet().forEach(this::write);
  }

  /**
   * Keeps {@code file} a copy of the namespace's hosts file, written in place (same inode): pods of
   * the PostgreSQL pod player bind-mount it over {@code /etc/hosts}, where a replaced file would
   * not reach them (glibc reads {@code /etc/hosts} at each lookup).
   */
  synchronized void mirror(String namespace, Path file) {
    mirrors.computeIfAbsent(namespace, k -> new java.util.ArrayList<>()).add(file);
    copyInPlace(file, texts.getOrDefault(namespace, "127.0.0.1 localhost " + hostname + "\n"));
  }

  /** Stops copying to {@code file}. */
  synchronized void unmirror(String namespace, Path file) {
    List<Path> files = mirrors.get(namespace);
    if (files != null) {
      files.remove(file);
    }
  }

  private static void copyInPlace(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** A namespace no longer routed: its names go, and its file. */
  synchronized void remove(String namespace) {
    if (byNamespace.remove(namespace) != null) {
      byNamespace.keySet().forEach(this::write);
    }
    try {
      Files.deleteIfExists(hostsFile(namespace));
    } catch (IOException e) {
      // the namespace's directory is being removed anyway
    }
  }

  private void write(String own) {
    StringBuilder hosts = new StringBuilder();
    hosts.append("# cluster DNS of the test bed for pods of namespace ").append(own).append('\n');
    hosts.append("127.0.0.1 localhost ").append(hostname).append('\n');
    byNamespace.forEach(
        (namespace, records) -> {
          for (Record r : records) {
            for (String ip : r.ips()) {
              hosts.append(ip);
              if (namespace.equals(own)) {
                hosts.append(' ').append(r.name());
              }
              String qualified = r.name() + "." + namespace;
              hosts.append(' ').append(qualified);
              hosts.append(' ').append(qualified).append(".svc");
              hosts.append(' ').append(qualified).append(".svc.cluster.local");
              hosts.append('\n');
            }
          }
        });
    Path file = hostsFile(own);
    texts.put(own, hosts.toString());
    mirrors.getOrDefault(own, List.of()).forEach(m -> copyInPlace(m, hosts.toString()));
    try {
      Files.createDirectories(file.getParent());
      Path next = file.resolveSibling("hosts.next");
      Files.writeString(next, hosts.toString(), StandardCharsets.UTF_8);
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
