package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster DNS and Service routing for the program pods of one namespace, in place of CoreDNS and
 * kube-proxy, which the test bed has not got (and EndpointSlices cannot hold its loopback pod IPs,
 * so no endpoint controller output could be used either). From the namespace's Services and pods,
 * as the API server has them:
 *
 * <ul>
 *   <li>a Service with a cluster IP gets a <em>virtual address</em> of its own on loopback, {@code
 *       127.<net>.240.0/20} of the test bed's pod network (outside every node's pod CIDR, so it
 *       never meets a pod IP; picked from a hash of the Service's name, the next free one when
 *       taken), and a {@link TcpForwarder} per TCP port there, to the ready pods its selector picks
 *       (target ports by number or by the container port's name). Its name resolves to the virtual
 *       address, which never changes, so a client that reconnects after a failover finds the new
 *       primary (the {@code NAME-primary} Service follows Patroni's role label) without waiting for
 *       DNS caches;
 *   <li>a headless Service's name resolves to its pods' IPs (ready ones, or all with {@code
 *       publishNotReadyAddresses}), and {@code HOSTNAME.SERVICE} to each such pod with that
 *       subdomain (StatefulSet pods);
 *   <li>ExternalName Services and Services without a selector are not served.
 * </ul>
 *
 * Names reach the pods through {@link ClusterDns}' hosts file. Answers are recomputed on every
 * change of a Service or pod (and every 5 s), so DNS follows pods within the pods' 2-second
 * resolver cache.
 */
public final class ServiceRouting implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceRouting.class);

  /** Virtual addresses: 127.net.240.0 to 127.net.255.255, 4096 of them. */
  private static final int VIRTUAL_FIRST_OCTET = 240;

  private static final int VIRTUAL_COUNT = 16 * 256;

  private record Virtual(String address, Map<Integer, TcpForwarder> forwarders) {}

  private final String namespace;
  private final int podNet;
  private final ClusterDns dns;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<Pod> pods;
  private final Map<String, Virtual> virtuals = new HashMap<>();
  private final ScheduledExecutorService refresher =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "service-routing");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean pending = new AtomicBoolean();

  /** The routing of each namespace, shared by the pod players of that namespace. */
  private static final Map<String, ServiceRouting> SHARED = new HashMap<>();

  private int users;

  /**
   * The routing of a namespace, started by its first user (the program pods' and the PostgreSQL
   * pods' players of one namespace share it: one virtual address per Service, one hosts file); each
   * user closes it once, and the last close stops it.
   */
  public static ServiceRouting open(TestBed testBed, String namespace) {
    synchronized (SHARED) {
      ServiceRouting routing = SHARED.get(namespace);
      if (routing == null) {
        routing = new ServiceRouting(testBed, namespace);
        SHARED.put(namespace, routing);
      }
      routing.users++;
      return routing;
    }
  }

  /** The routing of {@code namespace} if a pod player routes it now (for diagnostics). */
  static Optional<ServiceRouting> of(String namespace) {
    synchronized (SHARED) {
      return Optional.ofNullable(SHARED.get(namespace));
    }
  }

  /** Copies the namespace's hosts file in place to {@code file} (see {@link ClusterDns#mirror}). */
  void mirror(Path file) {
    dns.mirror(namespace, file);
  }

  void unmirror(Path file) {
    dns.unmirror(namespace, file);
  }

  /** Routes a namespace until closed; its hosts file exists when this returns. */
  private ServiceRouting(TestBed testBed, String namespace) {
    this.namespace = namespace;
    this.podNet = testBed.podNet();
    this.dns = ClusterDns.shared(testBed);
    KubernetesClient client = testBed.client();
    ResourceEventHandler<Object> onChange =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Object o) {
            schedule();
          }

          @Override
          public void onUpdate(Object o, Object n) {
            schedule();
          }

          @Override
          public void onDelete(Object o, boolean unknown) {
            schedule();
          }
        };
    this.services = client.services().inNamespace(namespace).inform();
    this.pods = client.pods().inNamespace(namespace).inform();
    services.addEventHandler(cast(onChange));
    pods.addEventHandler(cast(onChange));
    refresh();
    refresher.scheduleWithFixedDelay(this::refreshQuietly, 5, 5, TimeUnit.SECONDS);
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> handler) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) handler;
  }

  /** The hosts file of the namespace's pods. */
  public java.nio.file.Path hostsFile() {
    return dns.hostsFile(namespace);
  }

  /** The virtual address of a Service with a cluster IP, once routed. */
  public synchronized Optional<String> virtualAddress(String service) {
    return Optional.ofNullable(virtuals.get(service)).map(Virtual::address);
  }

  /**
   * Each routed Service, a line per port: its virtual address, the endpoints the forwarder picks
   * from, each with whether it accepts a TCP connection right now, and what the forwarder closed at
   * once (see {@link TcpForwarder#closedAtOnce()}). For a test's failure message.
   */
  public synchronized String describe() {
    StringBuilder out = new StringBuilder();
    new TreeMap<>(virtuals)
        .forEach(
            (service, virtual) ->
                new TreeMap<>(virtual.forwarders())
                    .forEach(
                        (port, forwarder) -> {
                          out.append("  Service ")
                              .append(service)
                              .append(' ')
                              .append(virtual.address())
                              .append(':')
                              .append(port)
                              .append(" -> ");
                          List<TcpForwarder.Endpoint> endpoints = forwarder.endpoints();
                          if (endpoints.isEmpty()) {
                            out.append("no endpoint (no ready pod selected)");
                          }
                          for (TcpForwarder.Endpoint e : endpoints) {
                            out.append(e.ip())
                                .append(':')
                                .append(e.port())
                                .append(" (")
                                .append(probe(e))
                                .append(") ");
                          }
                          out.append("; ").append(forwarder.closedAtOnce()).append('\n');
                        }));
    return out.toString();
  }

  /** Whether an endpoint accepts a TCP connection now: "accepts" or the error, within 1 s. */
  private static String probe(TcpForwarder.Endpoint endpoint) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(endpoint.ip(), endpoint.port()), 1000);
      return "accepts";
    } catch (IOException e) {
      return e.toString();
    }
  }

  private void schedule() {
    if (pending.compareAndSet(false, true) && !refresher.isShutdown()) {
      refresher.schedule(this::refreshQuietly, 50, TimeUnit.MILLISECONDS);
    }
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      LOG.warn("service routing of namespace {} not refreshed: {}", namespace, e.toString());
    }
  }

  private synchronized void refresh() {
    pending.set(false);
    List<Pod> all = pods.getStore().list();
    List<ClusterDns.Record> records = new ArrayList<>();
    Map<String, Service> current = new HashMap<>();
    for (Service service : services.getStore().list()) {
      String name = service.getMetadata().getName();
      var spec = service.getSpec();
      if (spec == null || "ExternalName".equals(spec.getType())) {
        continue;
      }
      boolean publishNotReady = Boolean.TRUE.equals(spec.getPublishNotReadyAddresses());
      List<Pod> selected =
          all.stream()
              .filter(p -> selects(spec.getSelector(), p))
              .filter(p -> ip(p) != null && p.getMetadata().getDeletionTimestamp() == null)
              .filter(p -> publishNotReady || ready(p))
              .toList();
      if ("None".equals(spec.getClusterIP())) {
        List<String> ips = selected.stream().map(ServiceRouting::ip).distinct().toList();
        if (!ips.isEmpty()) {
          records.add(new ClusterDns.Record(name, ips));
        }
        for (Pod p : selected) {
          if (p.getSpec().getHostname() != null && name.equals(p.getSpec().getSubdomain())) {
            records.add(
                new ClusterDns.Record(p.getSpec().getHostname() + "." + name, List.of(ip(p))));
          }
        }
        continue;
      }
      current.put(name, service);
      Virtual virtual = virtual(service);
      if (virtual == null) {
        continue;
      }
      for (ServicePort port : tcpPorts(service)) {
        List<TcpForwarder.Endpoint> endpoints = new ArrayList<>();
        for (Pod p : selected) {
          Integer target = targetPort(port, p);
          if (target != null) {
            endpoints.add(new TcpForwarder.Endpoint(ip(p), target));
          }
        }
        virtual.forwarders().get(port.getPort()).endpoints(endpoints);
      }
      records.add(new ClusterDns.Record(name, List.of(virtual.address())));
    }
    for (String gone : List.copyOf(virtuals.keySet())) {
      if (!current.containsKey(gone)) {
        virtuals.remove(gone).forwarders().values().forEach(TcpForwarder::close);
      }
    }
    records.sort(java.util.Comparator.comparing(ClusterDns.Record::name));
    dns.update(namespace, records);
  }

  /** The Service's virtual address with a forwarder per TCP port, made when first needed. */
  private Virtual virtual(Service service) {
    String name = service.getMetadata().getName();
    List<Integer> ports = tcpPorts(service).stream().map(ServicePort::getPort).sorted().toList();
    Virtual existing = virtuals.get(name);
    if (existing != null
        && existing.forwarders().keySet().stream().sorted().toList().equals(ports)) {
      return existing;
    }
    if (existing != null) {
      existing.forwarders().values().forEach(TcpForwarder::close);
      virtuals.remove(name);
    }
    int start = Math.floorMod(Objects.hash(namespace, name), VIRTUAL_COUNT);
    for (int i = 0; i < VIRTUAL_COUNT; i++) {
      int n = (start + i) % VIRTUAL_COUNT;
      if (n % 256 == 0 || n % 256 == 255) {
        continue;
      }
      String address = "127." + podNet + "." + (VIRTUAL_FIRST_OCTET + n / 256) + "." + (n % 256);
      Map<Integer, TcpForwarder> forwarders = new HashMap<>();
      try {
        for (int port : ports) {
          forwarders.put(
              port, new TcpForwarder(namespace + "/" + name + ":" + port, address, port));
        }
        Virtual made = new Virtual(address, forwarders);
        virtuals.put(name, made);
        LOG.info("Service {}/{} routed on {} ports {}", namespace, name, address, ports);
        return made;
      } catch (IOException e) {
        forwarders.values().forEach(TcpForwarder::close); // taken: try the next address
      }
    }
    LOG.warn("no free virtual address for Service {}/{}", namespace, name);
    return null;
  }

  private static List<ServicePort> tcpPorts(Service service) {
    return service.getSpec().getPorts() == null
        ? List.of()
        : service.getSpec().getPorts().stream()
            .filter(p -> p.getProtocol() == null || "TCP".equals(p.getProtocol()))
            .toList();
  }

  private static Integer targetPort(ServicePort port, Pod pod) {
    IntOrString target = port.getTargetPort();
    if (target == null) {
      return port.getPort();
    }
    if (target.getIntVal() != null) {
      return target.getIntVal();
    }
    return pod.getSpec().getContainers().stream()
        .flatMap(
            c -> c.getPorts() == null ? java.util.stream.Stream.empty() : c.getPorts().stream())
        .filter(p -> target.getStrVal().equals(p.getName()))
        .map(p -> p.getContainerPort())
        .findFirst()
        .orElse(null);
  }

  private static boolean selects(Map<String, String> selector, Pod pod) {
    if (selector == null || selector.isEmpty()) {
      return false;
    }
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null && labels.entrySet().containsAll(selector.entrySet());
  }

  private static String ip(Pod pod) {
    return pod.getStatus() == null ? null : pod.getStatus().getPodIP();
  }

  private static boolean ready(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  @Override
  public void close() {
    synchronized (SHARED) {
      if (--users > 0) {
        return;
      }
      SHARED.remove(namespace, this);
    }
    stop();
  }

  private synchronized void stop() {
    refresher.shutdownNow();
    services.close();
    pods.close();
    virtuals.values().forEach(v -> v.forwarders().values().forEach(TcpForwarder::close));
    virtuals.clear();
    dns.remove(namespace);
  }
}
