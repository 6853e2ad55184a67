package io.pgtrickle.operator.backup;

import io.pgtrickle.testbed.AzuriteServer;
import io.pgtrickle.testbed.TestNamespace;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.backup.destination.type: Azure} for real: pgBackRest 2.55.1 archives WAL to, backs up
 * to (full, then incremental) and restores a new cluster from an Azure Blob Storage container
 * served by Azurite over HTTPS on loopback, trusted through {@code caSecret}, authenticated with
 * the account's shared key from the credentials Secret. See {@link ObjectStoreRoundTrip}.
 */
class AzureRepositoryIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String CONTAINER = "azure-backups";

  @Test
  void archivesBacksUpAndRestoresThroughAnAzureContainer() throws Exception {
    try (AzuriteServer azure = AzuriteServer.start(NAMESPACE.testBed())) {
      azure.createContainer(CONTAINER);
      ObjectStoreRoundTrip roundTrip = new ObjectStoreRoundTrip(NAMESPACE);
      roundTrip.secret(
          "azure-credentials",
          Map.of("AZURE_STORAGE_ACCOUNT", azure.account(), "AZURE_STORAGE_KEY", azure.key()));
      roundTrip.secret("azure-ca", Map.of("ca.crt", azure.caPem()));
      roundTrip.run(
          "  backup:\n"
              + "    destination:\n"
              + "      type: Azure\n"
              + "      endpoint: "
              + azure.endpoint()
              + "\n"
              + "      bucket: "
              + CONTAINER
              + "\n"
              + "      credentialsSecret: azure-credentials\n"
              + "      caSecret: azure-ca\n",
          "azure://" + CONTAINER,
          () ->
              azure.blobs(CONTAINER).stream()
                  .filter(b -> b.startsWith(roundTrip.path("src") + "/"))
                  .toList());
    }
  }
}
