package io.pgtrickle.operator.packaging;

import io.pgtrickle.testbed.TestBed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The plain manifests of {@code make deploy} (deploy/operator.yaml): the chart rendered with its
 * defaults, release {@value #RELEASE} in namespace {@value #NAMESPACE}, after the Namespace itself
 * (which Helm creates on its own and so never renders). {@code make manifests} runs {@link #main}
 * to write them; {@link DeployManifestsTest} fails when the committed file is stale.
 */
public final class DeployManifests {

  static final String RELEASE = "pg-trickle";
  static final String NAMESPACE = "pg-trickle-system";
  static final Path FILE = TestBed.repositoryRoot().resolve("deploy/operator.yaml");

  private DeployManifests() {}

  static String render() {
    return """
        # Generated from charts/pg-trickle by `make manifests` (the chart's defaults, release \
        %s in
        # namespace %s); do not edit. DeployManifestsTest fails when this file is stale.
        # The CRDs are in deploy/crds (make install).
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: %s
          labels:
            # The API server rejects operator pods that do not meet the restricted standard.
            pod-security.kubernetes.io/enforce: restricted
        """
            .formatted(RELEASE, NAMESPACE, NAMESPACE)
        + PgTrickleChart.template(RELEASE, NAMESPACE, Map.of());
  }

  public static void main(String[] args) throws IOException {
    Files.writeString(FILE, render());
    System.out.println("wrote " + FILE);
  }
}
