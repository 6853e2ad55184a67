package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.testbed.GcsServer;
import io.pgtrickle.testbed.TestNamespace;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.backup.destination.type: GCS} for real: pgBackRest 2.55.1 archives WAL to, backs up
 * to (full, then incremental) and restores a new cluster from a Google Cloud Storage bucket served
 * by fake-gcs-server over HTTPS on loopback, trusted through {@code caSecret}, authenticated with
 * the service account key {@code key.json} of the credentials Secret (mounted from it; pgBackRest
 * exchanges signed JWTs for access tokens at the key's token endpoint, which checks the signature).
 * See {@link ObjectStoreRoundTrip}.
 */
class GcsRepositoryIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BUCKET = "gcs-backups";

  @Test
  void archivesBacksUpAndRestoresThroughAGcsBucket() throws Exception {
    try (GcsServer gcs = GcsServer.start(NAMESPACE.testBed())) {
      gcs.createBucket(BUCKET);
      ObjectStoreRoundTrip roundTrip = new ObjectStoreRoundTrip(NAMESPACE);
      // A service account key (the default gcsKeyType): pgBackRest signs a JWT with it and gets
      // its access tokens from the key's token_uri, the test bed's token endpoint.
      roundTrip.secret("gcs-credentials", Map.of("key.json", gcs.serviceAccountKeyJson()));
      roundTrip.secret("gcs-ca", Map.of("ca.crt", gcs.caPem()));
      roundTrip.run(
          "  backup:\n"
              + "    destination:\n"
              + "      type: GCS\n"
              + "      endpoint: "
              + gcs.endpoint()
              + "\n"
              + "      bucket: "
              + BUCKET
              + "\n"
              + "      credentialsSecret: gcs-credentials\n"
              + "      caSecret: gcs-ca\n",
          "gs://" + BUCKET,
          () -> gcs.objects(BUCKET, roundTrip.path("src")));
      assertThat(gcs.tokensGranted()).isPositive();
    }
  }
}
