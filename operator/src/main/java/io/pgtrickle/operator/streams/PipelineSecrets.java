package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.dependent.SecretVersions;
import io.pgtrickle.operator.streams.spec.OtlpExport;
import io.pgtrickle.operator.streams.spec.PipelineSettings;
import io.pgtrickle.operator.streams.status.ObservedPipeline;

/**
 * The Secrets the CDC consumer and worker pods read, in a round: their versions go into the
 * workflow context for the pod templates ({@link SecretVersions}), and the OTLP headers' Secret is
 * checked for the MonitoringReady condition.
 */
final class PipelineSecrets {

  private PipelineSecrets() {}

  /**
   * Reads the database's Secret and the OTLP headers' Secret (when one is named) and puts their
   * versions into the workflow context.
   *
   * @return the headers' problem, or null
   */
  static OtlpExport.HeadersProblem observe(
      KubernetesClient client, PipelineSettings settings, Context<StreamTableCluster> context) {
    var values = context.managedWorkflowAndDependentResourceContext();
    // The database's Secret: a new password rolls the pods to read it.
    values.put(
        SecretVersions.DATABASE_KEY,
        SecretVersions.of(
            client
                .secrets()
                .inNamespace(settings.namespace())
                .withName(settings.secretName())
                .get()));
    // The OTLP headers' Secret: optional in the pods, so only telemetry waits for it.
    if (settings.otlp() == null || settings.otlp().headersSecret() == null) {
      return null;
    }
    Secret secret =
        client
            .secrets()
            .inNamespace(settings.namespace())
            .withName(settings.otlp().headersSecret())
            .get();
    values.put(SecretVersions.OTLP_HEADERS_KEY, SecretVersions.of(secret));
    return settings.otlp().headersProblem(secret, settings.namespace());
  }

  /**
   * The MonitoringReady condition: the ServiceMonitors' state, and the OTLP headers' Secret when
   * one is named, its problem first (the pods run without the headers meanwhile).
   *
   * @return null when neither ServiceMonitors nor a headers Secret are asked for
   */
  static ObservedPipeline.Monitoring monitoring(
      ObservedPipeline.Monitoring serviceMonitors,
      OtlpExport otlp,
      OtlpExport.HeadersProblem headers) {
    if (headers == null) {
      if (serviceMonitors != null || otlp == null || otlp.headersSecret() == null) {
        return serviceMonitors;
      }
      return new ObservedPipeline.Monitoring(
          true,
          "Exporting",
          "OTLP export to "
              + otlp.endpoint()
              + " with the headers of Secret "
              + otlp.headersSecret());
    }
    String message =
        serviceMonitors == null || serviceMonitors.ready()
            ? headers.message()
            : headers.message() + "; " + serviceMonitors.message();
    return new ObservedPipeline.Monitoring(false, headers.reason(), message);
  }
}
