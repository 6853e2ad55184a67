package io.pgtrickle.adapter.tls;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@code caBundle} of the adapter's APIServices equal to the CA of its generated serving
 * certificate. Only an APIService whose {@code spec.service} is the adapter's own Service is
 * touched: one that points at another server (prometheus-adapter, KEDA, ...) is never overwritten,
 * only reported. A missing APIService is left to whoever installs it (the chart).
 */
public final class ApiServiceBundles {

  private static final Logger LOG = LoggerFactory.getLogger(ApiServiceBundles.class);

  static final ResourceDefinitionContext API_SERVICES =
      new ResourceDefinitionContext.Builder()
          .withGroup("apiregistration.k8s.io")
          .withVersion("v1")
          .withKind("APIService")
          .withPlural("apiservices")
          .withNamespaced(false)
          .build();

  /** What was found for one APIService. */
  public enum Outcome {
    UPDATED,
    UP_TO_DATE,
    MISSING,
    FOREIGN
  }

  private final KubernetesClient client;
  private final List<String> names;
  private final String namespace;
  private final String service;
  private final String caBundle;

  /**
   * @param client the Kubernetes client
   * @param names the APIServices
   * @param namespace the adapter's namespace
   * @param service the adapter's Service
   * @param caPem the CA to put in
   */
  public ApiServiceBundles(
      KubernetesClient client, List<String> names, String namespace, String service, String caPem) {
    this.client = client;
    this.names = names;
    this.namespace = namespace;
    this.service = service;
    this.caBundle = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * One pass over the APIServices.
   *
   * @return what was found per APIService
   */
  public Map<String, Outcome> sync() {
    Map<String, Outcome> out = new LinkedHashMap<>();
    for (String name : names) {
      out.put(name, sync(name));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private Outcome sync(String name) {
    var resource = client.genericKubernetesResources(API_SERVICES).withName(name);
    GenericKubernetesResource api = resource.get();
    if (api == null) {
      return Outcome.MISSING;
    }
    Map<String, Object> spec = (Map<String, Object>) api.getAdditionalProperties().get("spec");
    Map<String, Object> svc = spec == null ? null : (Map<String, Object>) spec.get("service");
    if (svc == null
        || !namespace.equals(svc.get("namespace"))
        || !service.equals(svc.get("name"))) {
      LOG.warn(
          "APIService {} is served by {}, not by this adapter ({}/{}): left alone",
          name,
          svc == null ? "kube-apiserver itself" : svc.get("namespace") + "/" + svc.get("name"),
          namespace,
          service);
      return Outcome.FOREIGN;
    }
    if (caBundle.equals(spec.get("caBundle"))) {
      return Outcome.UP_TO_DATE;
    }
    resource.patch(
        PatchContext.of(PatchType.JSON_MERGE),
        "{\"spec\":{\"caBundle\":\"" + caBundle + "\",\"insecureSkipTLSVerify\":null}}");
    LOG.info("APIService {}: caBundle set to the adapter's CA", name);
    return Outcome.UPDATED;
  }
}
