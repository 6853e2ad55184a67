package io.pgtrickle.adapter.pipeline;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.adapter.custommetrics.ApiException;
import io.pgtrickle.adapter.custommetrics.ApiRequest.MetricQuery;
import io.pgtrickle.adapter.custommetrics.LabelSelector;
import io.pgtrickle.adapter.custommetrics.MetricValue;
import io.pgtrickle.adapter.custommetrics.MetricValue.DescribedObject;
import io.pgtrickle.adapter.sources.PodScraper;
import io.pgtrickle.adapter.sources.PrometheusText;
import io.pgtrickle.adapter.sources.SampleCache;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.stream.Collectors;

/**
 * Answers metric queries from the pipelines' pods ({@code /metrics}). Objects are looked up in the
 * API server (a missing object is a 404); a pod that cannot be read is a 503 naming it and the
 * reason, never an old value; a pipeline without a running pod of the source's component is a 503
 * too (nobody measures: never a 0).
 */
public final class PipelineMetrics {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(PipelineMetrics.class);

  private final KubernetesClient client;
  private final PodScraper scraper;
  private final ExecutorService executor;

  /**
   * @param client the Kubernetes client (the adapter's ServiceAccount)
   * @param scraper reads pods' {@code /metrics}
   * @param executor runs the scrapes of several pods at once
   */
  public PipelineMetrics(KubernetesClient client, PodScraper scraper, ExecutorService executor) {
    this.client = client;
    this.scraper = scraper;
    this.executor = executor;
  }

  /**
   * Answers a query.
   *
   * @param q the query
   * @return the values (one for a named object; one per object for {@code *})
   * @throws ApiException 404 for an unknown metric or object, 503 for an unreadable source
   */
  public List<MetricValue> query(MetricQuery q) {
    PipelineMetric metric =
        PipelineMetric.byName(q.metric())
            .orElseThrow(() -> ApiException.metricNotFound(q.metric(), q.resource()));
    LabelSelector metricSelector =
        LabelSelector.parse(q.metricLabelSelector(), "metricLabelSelector");
    if (q.namespace() == null) {
      throw ApiException.metricNotFound(q.metric(), q.resource() + " (cluster-scoped)");
    }
    try {
      return switch (q.resource()) {
        case PipelineNames.STC_RESOURCE -> streamTableClusters(q, metric, metricSelector);
        case PipelineNames.DEPLOYMENT_RESOURCE -> deployments(q, metric, metricSelector);
        case PipelineNames.POD_RESOURCE -> pods(q, metric, metricSelector);
        default -> throw ApiException.metricNotFound(q.metric(), q.resource());
      };
    } catch (KubernetesClientException e) {
      throw ApiException.unavailable(
          "cannot read " + q.resource() + " in namespace " + q.namespace() + ": " + e.getMessage());
    }
  }

  private List<MetricValue> streamTableClusters(
      MetricQuery q, PipelineMetric metric, LabelSelector selector) {
    var stcs = client.genericKubernetesResources(PipelineNames.STREAM_TABLE_CLUSTERS);
    List<GenericKubernetesResource> objects;
    if (q.wildcard()) {
      objects = stcs.inNamespace(q.namespace()).list(listOptions(q.labelSelector())).getItems();
    } else {
      GenericKubernetesResource stc = stcs.inNamespace(q.namespace()).withName(q.name()).get();
      if (stc == null) {
        throw ApiException.notFound(
            PipelineNames.STC_RESOURCE
                + " \""
                + q.name()
                + "\" not found in namespace "
                + q.namespace());
      }
      objects = List.of(stc);
    }
    List<MetricValue> out = new ArrayList<>();
    for (GenericKubernetesResource stc : objects) {
      out.add(pipelineValue(stc, stc.getMetadata().getName(), metric, selector));
    }
    return out;
  }

  private List<MetricValue> deployments(
      MetricQuery q, PipelineMetric metric, LabelSelector selector) {
    List<Deployment> objects;
    if (q.wildcard()) {
      objects =
          client
              .apps()
              .deployments()
              .inNamespace(q.namespace())
              .list(listOptions(q.labelSelector()))
              .getItems();
    } else {
      Deployment d =
          client.apps().deployments().inNamespace(q.namespace()).withName(q.name()).get();
      if (d == null) {
        throw ApiException.notFound(
            "deployments.apps \"" + q.name() + "\" not found in namespace " + q.namespace());
      }
      objects = List.of(d);
    }
    List<MetricValue> out = new ArrayList<>();
    for (Deployment d : objects) {
      Map<String, String> labels = d.getMetadata().getLabels();
      String cluster = labels == null ? null : labels.get(PipelineNames.CLUSTER_LABEL);
      if (cluster == null) {
        if (q.wildcard()) {
          continue;
        }
        throw ApiException.notFound(
            "the server could not find the metric "
                + q.metric()
                + " for deployments.apps "
                + d.getMetadata().getName()
                + ": it belongs to no StreamTableCluster (no label "
                + PipelineNames.CLUSTER_LABEL
                + ")");
      }
      out.add(pipelineValue(d, cluster, metric, selector));
    }
    return out;
  }

  /** The pipeline's value of a metric, described as {@code described}. */
  private MetricValue pipelineValue(
      HasMetadata described, String cluster, PipelineMetric metric, LabelSelector selector) {
    String ns = described.getMetadata().getNamespace();
    DescribedObject ref =
        new DescribedObject(
            described.getApiVersion(), described.getKind(), ns, described.getMetadata().getName());
    String component = metric.source().component();
    List<Pod> pods =
        client
            .pods()
            .inNamespace(ns)
            .withLabels(PipelineNames.podSelector(cluster, component))
            .list()
            .getItems()
            .stream()
            .filter(p -> !PipelinePods.terminating(p))
            .toList();
    List<PodScraper.Target> targets =
        pods.stream().flatMap(p -> PipelinePods.target(p).stream()).toList();
    if (targets.isEmpty()) {
      throw ApiException.unavailable(
          metric.metricName()
              + " of StreamTableCluster "
              + ns
              + "/"
              + cluster
              + ": no running "
              + component
              + " pod (label "
              + PipelineNames.CLUSTER_LABEL
              + "="
              + cluster
              + ")");
    }
    List<SampleCache.Timed<List<PrometheusText.Sample>>> scrapes =
        scrapeAll(targets, true, new ArrayList<>(), startingTargets(pods));
    List<Double> values = new ArrayList<>();
    List<String> nan = new ArrayList<>();
    Instant oldest = null;
    for (int i = 0; i < scrapes.size(); i++) {
      var s = scrapes.get(i);
      OptionalDouble v = Aggregation.podValue(s.value(), metric.metricName(), selector);
      if (v.isPresent()) {
        values.add(v.getAsDouble());
        oldest = oldest == null || s.readAt().isBefore(oldest) ? s.readAt() : oldest;
      } else if (Aggregation.onlyNaN(s.value(), metric.metricName(), selector)) {
        nan.add(targets.get(i).toString());
      }
    }
    if (values.isEmpty() && !nan.isEmpty()) {
      // The series are there but no pod can give a figure now (e.g. a worker that has not read
      // the catalog for too long): a source that cannot be read, not a metric that does not exist.
      throw ApiException.unavailable(
          metric.metricName()
              + " of StreamTableCluster "
              + ns
              + "/"
              + cluster
              + ": no "
              + component
              + " pod gives a figure; NaN (cannot measure it now) from "
              + String.join(", ", nan));
    }
    if (values.isEmpty()) {
      throw ApiException.notFound(
          "no "
              + component
              + " pod of StreamTableCluster "
              + ns
              + "/"
              + cluster
              + " exposes "
              + metric.metricName()
              + (selector.isEmpty() ? "" : " with labels matching the metricLabelSelector")
              + " (yet)");
    }
    double value =
        metric.aggregation() == PipelineMetric.Aggregation.WORST_SERIES_FRESHEST_READ
            ? Aggregation.worstSeriesFreshestRead(
                    scrapes.stream().map(SampleCache.Timed::value).toList(),
                    metric.metricName(),
                    selector)
                .orElseThrow()
            : Aggregation.combine(values, metric.aggregation());
    return new MetricValue(ref, metric.metricName(), value, oldest, metric.windowSeconds());
  }

  private List<MetricValue> pods(MetricQuery q, PipelineMetric metric, LabelSelector selector) {
    List<Pod> pods;
    if (q.wildcard()) {
      pods =
          client.pods().inNamespace(q.namespace()).list(listOptions(q.labelSelector())).getItems();
    } else {
      Pod p = client.pods().inNamespace(q.namespace()).withName(q.name()).get();
      if (p == null) {
        throw ApiException.notFound(
            "pods \"" + q.name() + "\" not found in namespace " + q.namespace());
      }
      pods = List.of(p);
    }
    List<PodScraper.Target> targets =
        pods.stream().flatMap(p -> PipelinePods.target(p).stream()).toList();
    Set<PodScraper.Target> starting = startingTargets(pods);
    // Pods metrics: a pod that cannot be scraped is left out, as metrics-server does; the HPA
    // then treats it conservatively (as at target when scaling down, as 0 when scaling up).
    List<String> failures = new ArrayList<>();
    List<SampleCache.Timed<List<PrometheusText.Sample>>> scrapes =
        scrapeAll(targets, false, failures, starting);
    List<MetricValue> out = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      var s = scrapes.get(i);
      if (s == null) {
        continue;
      }
      OptionalDouble v = Aggregation.podValue(s.value(), metric.metricName(), selector);
      if (v.isEmpty() && Aggregation.onlyNaN(s.value(), metric.metricName(), selector)) {
        failures.add(targets.get(i) + " reports NaN");
      }
      if (v.isPresent()) {
        PodScraper.Target t = targets.get(i);
        out.add(
            new MetricValue(
                new DescribedObject("v1", "Pod", t.namespace(), t.pod()),
                metric.metricName(),
                v.getAsDouble(),
                s.readAt(),
                metric.windowSeconds()));
      }
    }
    if (out.isEmpty()) {
      throw ApiException.notFound(
          "the server could not find the metric "
              + q.metric()
              + " for pods"
              + (q.wildcard() ? " matching " + q.labelSelector() : " " + q.name())
              + ": "
              + (targets.isEmpty()
                  ? "no running pod"
                  : "no running pod exposes it ("
                      + targets.size()
                      + " asked"
                      + (failures.isEmpty() ? "" : "; " + String.join("; ", failures))
                      + ")"));
    }
    return out;
  }

  /** The targets of the pods that run but are not ready yet: their program may not listen yet. */
  private static Set<PodScraper.Target> startingTargets(List<Pod> pods) {
    return pods.stream()
        .filter(p -> !PipelinePods.ready(p))
        .flatMap(p -> PipelinePods.target(p).stream())
        .collect(Collectors.toSet());
  }

  /**
   * Scrapes every target at once; with {@code failOnError} the first failure is a 503 (an expected
   * one, {@link ApiException#starting}, when the pod is among {@code starting}), otherwise a failed
   * pod's entry is null and the reason goes to {@code failures}, logged as a WARN unless the pod is
   * among {@code starting} (running, not ready yet: its program may not listen yet; a DEBUG, as
   * each starting worker gave a WARN at every HPA poll until it listened).
   */
  private List<SampleCache.Timed<List<PrometheusText.Sample>>> scrapeAll(
      List<PodScraper.Target> targets,
      boolean failOnError,
      List<String> failures,
      Set<PodScraper.Target> starting) {
    List<CompletableFuture<SampleCache.Timed<List<PrometheusText.Sample>>>> futures =
        new ArrayList<>();
    for (PodScraper.Target t : targets) {
      futures.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return scraper.scrape(t);
                } catch (PodScraper.ScrapeException e) {
                  throw new CompletionException(e);
                }
              },
              executor));
    }
    List<SampleCache.Timed<List<PrometheusText.Sample>>> out = new ArrayList<>();
    for (int i = 0; i < futures.size(); i++) {
      try {
        out.add(futures.get(i).join());
      } catch (CompletionException e) {
        if (failOnError) {
          throw starting.contains(targets.get(i))
              ? ApiException.starting(e.getCause().getMessage() + " (the pod is not ready yet)")
              : ApiException.unavailable(e.getCause().getMessage());
        }
        if (starting.contains(targets.get(i))) {
          LOG.debug("left out of a Pods metric (not ready yet): {}", e.getCause().getMessage());
        } else {
          LOG.warn("left out of a Pods metric: {}", e.getCause().getMessage());
        }
        failures.add(e.getCause().getMessage());
        out.add(null);
      }
    }
    return out;
  }

  private static io.fabric8.kubernetes.api.model.ListOptions listOptions(String labelSelector) {
    return new ListOptionsBuilder().withLabelSelector(labelSelector).build();
  }
}
