package io.pgtrickle.operator.backup;

import io.pgtrickle.testbed.GcsServer;
import io.pgtrickle.testbed.TestNamespace;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.backup.destination.type: GCS} for real: pgBackRest 2.55.1 archives WAL to, backs up
 * to (full, then incremental) and restores a new cluster from a Google Cloud Storage bucket served
 * by fake-gcs-server over HTTPS on loopback, trusted through {@code caSecret}; the access token
 * comes from the credentials Secret ({@code gcsKeyType: token}). See {@link ObjectStoreRoundTrip}.
 */
class GcsRepositoryIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BUCKET = "gcs-backups";

  @Test
  void archivesBacksUpAndRestoresThroughAGcsBucket() throws Exception {
    try (GcsServer gcs = GcsServer.start(NAMESPACE.testBed())) {
      gcs.createBucket(BUCKET);
      ObjectStoreRoundTrip roundTrip = new ObjectStoreRoundTrip(NAMESPACE);
      // fake-gcs-server accepts any bearer token; pgBackRest sends this one from the Secret.
      roundTrip.secret("gcs-credentials", Map.of("token", "test-access-token"));
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
              + "      gcsKeyType: token\n"
              + "      credentialsSecret: gcs-credentials\n"
              + "      caSecret: gcs-ca\n",
          "gs://" + BUCKET,
          () -> gcs.objects(BUCKET, roundTrip.path("src")));
    }
  }
}
