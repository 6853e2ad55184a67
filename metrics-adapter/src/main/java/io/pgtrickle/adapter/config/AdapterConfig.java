package io.pgtrickle.adapter.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The metrics adapter's settings, validated by {@link ConfigParser}.
 *
 * @param bindAddress address the HTTPS API listens on ({@code 0.0.0.0}: every interface)
 * @param securePort port of the custom metrics API (HTTPS, client certificates)
 * @param httpPort port of the plain-HTTP {@code /healthz}, {@code /readyz}, {@code /metrics}; 0:
 *     none
 * @param tlsCertFile PEM serving certificate (chain) given by the user, or null
 * @param tlsKeyFile PEM private key of {@code tlsCertFile}, or null
 * @param tlsSecret Secret (in {@code namespace}) holding the CA and serving certificate the adapter
 *     generates and shares between replicas, or null
 * @param namespace the adapter's namespace (its Service and Secret live there)
 * @param serviceName the adapter's Service: the serving certificate is for {@code
 *     <serviceName>.<namespace>.svc}, the name kube-apiserver verifies
 * @param apiServices APIServices whose {@code caBundle} the adapter keeps equal to its CA, if they
 *     point at its Service (never another's)
 * @param cacheTtl how long a scraped sample is served before it is read again
 * @param scrapeTimeout how long one scrape of a pod's {@code /metrics} may take
 * @param authorizationCacheTtl how long a SubjectAccessReview answer is reused
 */
public record AdapterConfig(
    String bindAddress,
    int securePort,
    int httpPort,
    Path tlsCertFile,
    Path tlsKeyFile,
    String tlsSecret,
    String namespace,
    String serviceName,
    List<String> apiServices,
    Duration cacheTtl,
    Duration scrapeTimeout,
    Duration authorizationCacheTtl) {

  /** The DNS names the serving certificate carries. */
  public List<String> serviceDnsNames() {
    String base = serviceName + "." + namespace + ".svc";
    return List.of(base, base + ".cluster.local");
  }

  /**
   * A one-line description for the start-up log (no secrets here to hide).
   *
   * @return the description
   */
  public String describe() {
    return "secure port "
        + securePort
        + " on "
        + bindAddress
        + ", http port "
        + httpPort
        + ", serving certificate "
        + (tlsCertFile != null
            ? "from " + tlsCertFile
            : "generated into Secret " + namespace + "/" + tlsSecret)
        + ", service "
        + namespace
        + "/"
        + serviceName
        + ", APIServices "
        + apiServices
        + ", cache "
        + cacheTtl.toMillis()
        + " ms, scrape timeout "
        + scrapeTimeout.toMillis()
        + " ms";
  }
}
