package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The test bed's local S3 server for trying backups by hand ({@code make demo-s3}, after {@code
 * make demo}): starts {@link S3Server} with a bucket, writes the Secrets a PostgresCluster's {@code
 * spec.backup} names (the key pair, and the server's CA, which pgBackRest must trust) into a
 * namespace, prints the {@code spec.backup} to paste, and runs until stopped (the server stops and
 * its data goes with it).
 *
 * <p>Usage: {@code S3ServerMain [NAMESPACE [BUCKET]]}, by default {@code default} and {@code
 * backups}. Secrets: {@code s3-backup-credentials} ({@code AWS_ACCESS_KEY_ID}, {@code
 * AWS_SECRET_ACCESS_KEY}) and {@code s3-ca} ({@code ca.crt}). The spec is also written to {@code
 * target/demo/s3-backup.yaml}.
 */
public final class S3ServerMain {

  /** The Secret with the key pair, as {@code destination.credentialsSecret} names it. */
  public static final String CREDENTIALS_SECRET = "s3-backup-credentials";

  /** The Secret with the server's CA, as {@code destination.caSecret} names it. */
  public static final String CA_SECRET = "s3-ca";

  private S3ServerMain() {}

  public static void main(String[] args) throws InterruptedException, IOException {
    String namespace = args.length > 0 && !args[0].isBlank() ? args[0] : "default";
    String bucket = args.length > 1 && !args[1].isBlank() ? args[1] : "backups";
    TestBed testBed = TestBed.shared();
    S3Server server = S3Server.start(testBed);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                }));
    server.createBucket(bucket);
    KubernetesClient client = testBed.client();
    secret(
        client,
        namespace,
        CREDENTIALS_SECRET,
        Map.of(
            "AWS_ACCESS_KEY_ID", server.accessKey(), "AWS_SECRET_ACCESS_KEY", server.secretKey()));
    secret(client, namespace, CA_SECRET, Map.of("ca.crt", server.caPem()));
    String spec = backupSpec(server.endpoint(), bucket);
    Path out = testBed.repositoryRootPath().resolve("target/demo/s3-backup.yaml");
    Files.createDirectories(out.getParent());
    Files.writeString(out, spec);
    System.out.println(
        "S3 server at "
            + server.endpoint()
            + ", bucket "
            + bucket
            + "; Secrets "
            + CREDENTIALS_SECRET
            + " and "
            + CA_SECRET
            + " in namespace "
            + namespace
            + ". A PostgresCluster in that namespace backs up there with (also in "
            + out
            + "):\n"
            + spec);
    stopped.await();
  }

  /** The {@code spec.backup} of a cluster that archives to {@code bucket} at {@code endpoint}. */
  static String backupSpec(String endpoint, String bucket) {
    return String.join(
        "\n",
        "  backup:",
        "    destination:",
        "      type: S3",
        "      endpoint: " + endpoint,
        "      bucket: " + bucket,
        "      region: us-east-1",
        "      credentialsSecret: " + CREDENTIALS_SECRET,
        "      caSecret: " + CA_SECRET,
        "");
  }

  private static void secret(
      KubernetesClient client, String namespace, String name, Map<String, String> data) {
    client
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withStringData(data)
                .build())
        .serverSideApply();
  }
}
